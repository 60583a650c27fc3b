#!/usr/bin/env bash
# Build the CI-only base images with no registry to pull from, and reuse them between runs on one machine:
#   books-cqrs/debian-base:bookworm  debootstrap --variant=minbase, docker import (rootfs tarball cached)
#   books-cqrs/python-base:3.11      + python3, venv at /opt/venv, pip configured like the build host
#   books-cqrs/lambda-python:3.11    + awslambdaric, LAMBDA_TASK_ROOT=/var/task, ENTRYPOINT python -m awslambdaric
#   books-cqrs/docker-cli:bookworm   only /usr/local/bin/docker (the emulator image copies it, as from docker:cli)
# An image is rebuilt only when its label org.books-cqrs.base-version differs from the hash of its inputs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

CACHE_DIR=${BOOKS_CQRS_CACHE_DIR:-/var/cache/books-cqrs}
SUITE=${DEBIAN_SUITE:-bookworm}
AWSLAMBDARIC_VERSION=${AWSLAMBDARIC_VERSION:-4.2.2}
HOST_CA_BUNDLE=${HOST_CA_BUNDLE:-}
DEBIAN_IMAGE=books-cqrs/debian-base:$SUITE
PYTHON_IMAGE=books-cqrs/python-base:3.11
LAMBDA_IMAGE=books-cqrs/lambda-python:3.11
DOCKER_CLI_IMAGE=books-cqrs/docker-cli:$SUITE
LABEL_KEY=org.books-cqrs.base-version
# Bump when the rootfs recipe changes (the cached tarball and every image above it are then rebuilt).
ROOTFS_RECIPE=2
ROOTFS_TAR=$CACHE_DIR/debian-$SUITE-minbase-r$ROOTFS_RECIPE.tar
# The engine here only has the classic builder (no buildx); --network host because there is no bridge.
export DOCKER_BUILDKIT=0

hash_of() { sha256sum | cut -c1-16; }

# The Debian mirror this machine's apt uses for $SUITE (deb822 or one-line sources), so nothing names one.
apt_mirror() {
  local file mirror=""
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    mirror=$(awk -v suite="$SUITE" '
      /^deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i+1) == suite) { print $i; exit } break } }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite && uri != "") { print uri; exit } }
      /^$/ { uri = "" }' "$file")
    [ -n "$mirror" ] && { echo "$mirror"; return 0; }
  done
  echo "no apt source for suite $SUITE in /etc/apt/sources.list*" >&2
  return 1
}

# pip settings of the build host, as build args: index, non-file extra indexes, trusted hosts, CA bundle.
pip_setting() { pip config list 2>/dev/null | awk -F= -v key="$1" '$1 ~ "\\."key"$" { v = $2 } END { gsub(/\047/, "", v); print v }'; }
detect_pip() {
  PIP_INDEX_URL_ARG=${PIP_INDEX_URL:-$(pip_setting index-url)}
  local extra=${PIP_EXTRA_INDEX_URL:-$(pip_setting extra-index-url)} url kept=()
  for url in $extra; do [[ $url == file:* ]] || kept+=("$url"); done
  PIP_EXTRA_INDEX_URL_ARG=${kept[*]:-}
  PIP_TRUSTED_HOST_ARG=${PIP_TRUSTED_HOST:-$(pip_setting trusted-host)}
  [ -n "$HOST_CA_BUNDLE" ] || HOST_CA_BUNDLE=${PIP_CERT:-$(pip_setting cert)}
  [ -n "$HOST_CA_BUNDLE" ] || HOST_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
  [ -r "$HOST_CA_BUNDLE" ] || { echo "CA bundle $HOST_CA_BUNDLE is not readable" >&2; return 1; }
}

image_version() { docker image inspect --format "{{ index .Config.Labels \"$LABEL_KEY\" }}" "$1" 2>/dev/null || true; }

debootstrap_rootfs() {
  local mirror rootfs
  mirror=$(apt_mirror)
  rootfs=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$rootfs'" RETURN
  ci_log "debootstrap $SUITE minbase from the host's apt mirror"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1 \
    || { tail -n 20 "$CACHE_DIR/debootstrap.log" >&2; return 1; }
  # Slim like the official -slim images: no docs, man pages or translations now or from later installs.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/info/*
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/locale/*' 'path-exclude /usr/share/info/*' \
    >"$rootfs/etc/dpkg/dpkg.cfg.d/books-cqrs-slim"
  printf '%s\n' 'APT::Install-Recommends "false";' 'APT::Install-Suggests "false";' \
    >"$rootfs/etc/apt/apt.conf.d/99books-cqrs-no-recommends"
  tar --numeric-owner -C "$rootfs" -cf "$ROOTFS_TAR.tmp" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
}

import_debian() {
  docker import \
    --change "LABEL $LABEL_KEY=$DEBIAN_VERSION" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    "$ROOTFS_TAR" "$DEBIAN_IMAGE" >/dev/null
}

# docker build with its output in a log under the cache dir, shown only when the build fails.
quiet_build() {
  local log
  log="$CACHE_DIR/build-${1//[\/:]/_}.log"
  docker build --network host "${@:2}" >"$log" 2>&1 || { tail -n 30 "$log" >&2; return 1; }
}

build_python() {
  local ctx
  ctx=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$ctx'" RETURN
  cp "$here/bases/python-base/Dockerfile" "$ctx/Dockerfile"
  cp "$HOST_CA_BUNDLE" "$ctx/host-ca-bundle.crt"
  quiet_build "$PYTHON_IMAGE" -t "$PYTHON_IMAGE" \
    --build-arg "DEBIAN_BASE=$DEBIAN_IMAGE" --build-arg "BASE_VERSION=$PYTHON_VERSION" \
    --build-arg "PIP_INDEX_URL=$PIP_INDEX_URL_ARG" --build-arg "PIP_EXTRA_INDEX_URL=$PIP_EXTRA_INDEX_URL_ARG" \
    --build-arg "PIP_TRUSTED_HOST=$PIP_TRUSTED_HOST_ARG" "$ctx"
}

build_lambda() {
  quiet_build "$LAMBDA_IMAGE" -t "$LAMBDA_IMAGE" \
    --build-arg "PYTHON_BASE=$PYTHON_IMAGE" --build-arg "BASE_VERSION=$LAMBDA_VERSION" \
    --build-arg "AWSLAMBDARIC_VERSION=$AWSLAMBDARIC_VERSION" "$here/bases/lambda-python"
}

build_docker_cli() {
  quiet_build "$DOCKER_CLI_IMAGE" -t "$DOCKER_CLI_IMAGE" \
    --build-arg "DEBIAN_BASE=$DEBIAN_IMAGE" --build-arg "BASE_VERSION=$DOCKER_CLI_VERSION" "$here/bases/docker-cli"
}

mkdir -p "$CACHE_DIR"
detect_pip
# Each version covers its own inputs and its parent's version, so a changed parent rebuilds the children.
DEBIAN_VERSION=$(printf '%s minbase %s' "$SUITE" "$ROOTFS_RECIPE" | hash_of)
PYTHON_VERSION=$({ echo "$DEBIAN_VERSION $PIP_INDEX_URL_ARG $PIP_EXTRA_INDEX_URL_ARG $PIP_TRUSTED_HOST_ARG"; cat "$here/bases/python-base/Dockerfile" "$HOST_CA_BUNDLE"; } | hash_of)
LAMBDA_VERSION=$({ echo "$PYTHON_VERSION $AWSLAMBDARIC_VERSION"; cat "$here/bases/lambda-python/Dockerfile"; } | hash_of)
DOCKER_CLI_VERSION=$({ echo "$DEBIAN_VERSION"; cat "$here/bases/docker-cli/Dockerfile"; } | hash_of)

if [ "$(image_version "$DEBIAN_IMAGE")" = "$DEBIAN_VERSION" ]; then
  step "$DEBIAN_IMAGE cached" true
else
  if [ -s "$ROOTFS_TAR" ]; then
    step "debootstrap skipped (cached $ROOTFS_TAR)" true
  else
    step "debootstrap $SUITE rootfs" debootstrap_rootfs
  fi
  step "docker import $DEBIAN_IMAGE" import_debian
fi

if [ "$(image_version "$PYTHON_IMAGE")" = "$PYTHON_VERSION" ]; then
  step "$PYTHON_IMAGE cached" true
else
  step "build $PYTHON_IMAGE" build_python
fi

if [ "$(image_version "$LAMBDA_IMAGE")" = "$LAMBDA_VERSION" ]; then
  step "$LAMBDA_IMAGE cached" true
else
  step "build $LAMBDA_IMAGE" build_lambda
fi

if [ "$(image_version "$DOCKER_CLI_IMAGE")" = "$DOCKER_CLI_VERSION" ]; then
  step "$DOCKER_CLI_IMAGE cached" true
else
  step "build $DOCKER_CLI_IMAGE" build_docker_cli
fi

docker image ls --format '[docker]   {{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' | grep -E 'books-cqrs/(debian-base|python-base|lambda-python|docker-cli)'
