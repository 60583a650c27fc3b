#!/usr/bin/env bash
# The delivery check: make docker-test (tests/docker) pushes the function images to a local registry standing in for
# ECR, then deploys the pushed digests to a moto server. Runs after .ci/docker_cycle.sh, whose engine and images it
# uses; it stops with one line saying what to do when they are missing. One timed line per step, the total last.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/docker/lib.sh
. .ci/docker/lib.sh

started=$(now_ms)
# shellcheck disable=SC2317 # called by the EXIT trap
report_total() {
  local rc=$?
  printf '[docker] %-52s %8s (exit %d)\n' "delivery check total" "$(fmt_ms $(($(now_ms) - started)))" "$rc"
}
trap report_total EXIT

need_engine() {
  timeout 20 docker info >/dev/null 2>&1 && return 0
  echo "no Docker engine answers: run bash .ci/docker_cycle.sh (or bash .ci/docker/install_engine.sh) first" >&2
  return 1
}

need_images() {
  local version fn missing=()
  version=$(tr -d '[:space:]' <version.txt)
  for fn in command query projector; do
    docker image inspect "books-cqrs/$fn:$version" >/dev/null 2>&1 || missing+=("books-cqrs/$fn:$version")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "missing ${missing[*]}: run bash .ci/docker_cycle.sh (it runs make docker-build on the local bases) first" >&2
  return 1
}

install_registry() {
  command -v docker-registry >/dev/null && return 0
  ci_log "installing docker-registry from Debian"
  # Only refresh the package lists when the cached ones do not know the package.
  apt-cache show docker-registry >/dev/null 2>&1 || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry \
    >/var/log/books-cqrs-apt-registry.log 2>&1 || { tail -n 20 /var/log/books-cqrs-apt-registry.log >&2; return 1; }
  # The package enables a system service on port 5000; the tests run their own registry, so keep it off.
  if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
    systemctl stop docker-registry
  fi
}

step "docker engine answers" need_engine
step "function images exist (from make docker-build)" need_images
step "docker-registry installed" install_registry
step "make docker-test (registry push, aws-deploy on moto)" make --no-print-directory docker-test
