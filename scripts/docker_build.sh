#!/usr/bin/env bash
# Build the books-cqrs images and record the function image digests for Terraform.
#
#   scripts/docker_build.sh [name ...]     names: command query projector mock_idp emulator controlplane (default all)
#
# Each image is tagged books-cqrs/<name>:<version.txt> and :<version>-<short sha> (+ "-dirty" when its build
# context has uncommitted changes). Function image IDs go to build/image_digests.json, a -var-file for the root
# config's `image_digests` (local use; after a registry push the repo digest differs).
# Environment:
#   BASE_IMAGE_LAMBDA   base of the function images (default: the Dockerfiles' own, public.ecr.aws/lambda/python)
#   BASE_IMAGE_PYTHON   base of mock_idp, emulator, controlplane (default: the Dockerfiles' own, python:3.12-slim)
#   DOCKER_CLI_IMAGE    where the emulator image copies the docker CLI from (default: the Dockerfile's, docker:cli)
#   DOCKER_BUILD_NETWORK  passed as --network to builds (CI: host, on machines without a bridge network)
#   IMAGE_PREFIX        repository prefix (default books-cqrs)
#   DIGESTS_FILE        where the digests go (default build/image_digests.json)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

IMAGE_PREFIX=${IMAGE_PREFIX:-books-cqrs}
DIGESTS_FILE=${DIGESTS_FILE:-build/image_digests.json}
BASE_IMAGE_LAMBDA=${BASE_IMAGE_LAMBDA:-}
BASE_IMAGE_PYTHON=${BASE_IMAGE_PYTHON:-}
DOCKER_CLI_IMAGE=${DOCKER_CLI_IMAGE:-}
DOCKER_BUILD_NETWORK=${DOCKER_BUILD_NETWORK:-}
FUNCTIONS=(command query projector)
ALL=(command query projector mock_idp emulator controlplane)

log() { printf '[docker-build] %s\n' "$*"; }
die() { printf '[docker-build] error: %s\n' "$*" >&2; exit 1; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# name -> "context dir|Dockerfile path inside the context|base kind|paths whose changes make the tag -dirty"
image_spec() {
  case $1 in
    command | query | projector) echo "services|functions/$1/Dockerfile|lambda|services" ;;
    mock_idp) echo ".|mock_idp/Dockerfile|python|mock_idp pyproject.toml" ;;
    emulator) echo ".|emulator/Dockerfile|python|emulator pyproject.toml scripts/pyproject_requirements.py" ;;
    controlplane) echo ".|controlplane/Dockerfile|python|controlplane pyproject.toml scripts/pyproject_requirements.py" ;;
    *) return 1 ;;
  esac
}

# The build context as a tar on stdout: the files git would ship under that directory (tracked, or untracked and
# not ignored), so .venv, .local, caches and build output never reach the daemon.
context_tar() {
  git -C "$repo/$1" ls-files -z --cached --others --exclude-standard -- . |
    while IFS= read -r -d '' file; do [ -e "$repo/$1/$file" ] && printf '%s\0' "$file"; done |
    tar -C "$repo/$1" --null -T - -cf -
}

version=$(tr -d '[:space:]' <version.txt)
[ -n "$version" ] || die "version.txt is empty"
sha=$(git rev-parse --short=12 HEAD)

# No buildx on the machine: the classic builder (it reads a tar context from stdin just the same).
if ! docker buildx version >/dev/null 2>&1; then export DOCKER_BUILDKIT=0; fi

build_one() {
  local name=$1 spec context dockerfile kind sources base tag_sha started log_file
  spec=$(image_spec "$name") || die "unknown image '$name' (known: ${ALL[*]})"
  IFS='|' read -r context dockerfile kind sources <<<"$spec"
  [ -f "$context/$dockerfile" ] || die "$context/$dockerfile does not exist"
  local args=(-f "$dockerfile" -t "$IMAGE_PREFIX/$name:$version")
  tag_sha="$version-$sha"
  # shellcheck disable=SC2086 # $sources is a space-separated path list
  if [ -n "$(git status --porcelain -- $sources | head -n 1)" ]; then tag_sha+="-dirty"; fi
  args+=(-t "$IMAGE_PREFIX/$name:$tag_sha")
  if [ "$kind" = lambda ]; then base=$BASE_IMAGE_LAMBDA; else base=$BASE_IMAGE_PYTHON; fi
  [ -n "$base" ] && args+=(--build-arg "BASE_IMAGE=$base")
  [ "$name" = emulator ] && [ -n "$DOCKER_CLI_IMAGE" ] && args+=(--build-arg "DOCKER_CLI_IMAGE=$DOCKER_CLI_IMAGE")
  [ -n "$DOCKER_BUILD_NETWORK" ] && args+=(--network "$DOCKER_BUILD_NETWORK")
  # No revision label: an unchanged build context must give the same image ID (digest) on every commit, so
  # Terraform does not roll out functions whose code did not change. The <version>-<sha> tag keeps the trace.
  args+=(--label "org.opencontainers.image.version=$version")
  mkdir -p build/logs
  log_file=build/logs/docker-build-$name.log
  started=$(now_ms)
  if ! context_tar "$context" | docker build "${args[@]}" - >"$log_file" 2>&1; then
    tail -n 40 "$log_file" >&2
    die "building $name failed (full log: $log_file)"
  fi
  local elapsed=$(($(now_ms) - started)) id size
  id=$(docker image inspect --format '{{.Id}}' "$IMAGE_PREFIX/$name:$version")
  size=$(docker image inspect --format '{{.Size}}' "$id")
  printf '[docker-build] %-13s %6d.%ds  %4d MB  %s  %s:%s\n' "$name" $((elapsed / 1000)) $((elapsed % 1000 / 100)) \
    $((size / 1000000)) "${id:7:12}" "$IMAGE_PREFIX/$name" "$tag_sha"
  BUILT_IDS[$name]=$id
}

# Merge the function image IDs built now into the digests file (keeping ones built earlier), written atomically.
write_digests() {
  local fn missing=() entries=()
  for fn in "${FUNCTIONS[@]}"; do
    if [ -z "${BUILT_IDS[$fn]:-}" ] && docker image inspect "$IMAGE_PREFIX/$fn:$version" >/dev/null 2>&1; then
      BUILT_IDS[$fn]=$(docker image inspect --format '{{.Id}}' "$IMAGE_PREFIX/$fn:$version")
    fi
    if [ -n "${BUILT_IDS[$fn]:-}" ]; then entries+=("\"$fn\": \"${BUILT_IDS[$fn]}\""); else missing+=("$fn"); fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "no image yet for ${missing[*]}: $DIGESTS_FILE not written"
    return 0
  fi
  mkdir -p "$(dirname "$DIGESTS_FILE")"
  local joined
  joined=$(printf ', %s' "${entries[@]}")
  printf '{"image_digests": {%s}}\n' "${joined:2}" >"$DIGESTS_FILE.tmp"
  mv "$DIGESTS_FILE.tmp" "$DIGESTS_FILE"
  log "wrote $DIGESTS_FILE"
}

declare -A BUILT_IDS=()
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")
for name in "${names[@]}"; do image_spec "$name" >/dev/null || die "unknown image '$name' (known: ${ALL[*]})"; done
total_started=$(now_ms)
for name in "${names[@]}"; do build_one "$name"; done
write_digests
total=$(($(now_ms) - total_started))
log "built ${#names[@]} image(s) in $((total / 1000)).$((total % 1000 / 100))s"
