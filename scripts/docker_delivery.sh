#!/usr/bin/env bash
# Push the three function images to ENV's repositories and record the pushed digests for Terraform.
#
#   scripts/docker_delivery.sh            (make docker-delivery [ENV=dev] [REGISTRY=host:port])
#
# Without REGISTRY: ECR. `python -m devstack aws-ecr` applies only module.ecr of ENV's Terraform (creating the
# repositories if needed) and gives repository_urls; then `aws ecr get-login-password | docker login`.
# With REGISTRY: the repositories are <REGISTRY>/<ENV>-books-<fn>, the names Terraform gives the ECR repositories.
#
# Each image goes up as <version.txt> and <version>-<sha> (the tag docker-build put on it at this commit). Tags are
# immutable: a tag that already exists in the registry with other content stops the delivery before anything is
# pushed; a tag that already holds this very image is left as it is (re-running is a no-op).
# Afterwards DIGESTS_FILE holds the registry's manifest digests (not the local image IDs docker-build wrote), which
# is what `make aws-deploy` deploys, and PUSHED_FILE records repository, tags and local image ID per function.
# Environment:
#   REGISTRY       host[:port][/prefix] of a registry to use instead of ECR (loopback: plain HTTP)
#   ENV            environment name (default dev)
#   IMAGE_PREFIX   local repository prefix of the built images (default books-cqrs)
#   DIGESTS_FILE   digests file (default build/image_digests.json); PUSHED_FILE (default <its dir>/pushed_images.json)
#   PYTHON         the venv's python (default .venv/bin/python); AWS_CLI the aws CLI (default: .venv/bin/aws, then PATH)
#   AWS_REGION     ECR region (default AWS_DEFAULT_REGION, else us-east-1, as aws-deploy)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

REGISTRY=${REGISTRY:-}
ENV=${ENV:-dev}
IMAGE_PREFIX=${IMAGE_PREFIX:-books-cqrs}
DIGESTS_FILE=${DIGESTS_FILE:-build/image_digests.json}
PUSHED_FILE=${PUSHED_FILE:-$(dirname "$DIGESTS_FILE")/pushed_images.json}
PYTHON=${PYTHON:-$repo/.venv/bin/python}
AWS_CLI=${AWS_CLI:-}
FUNCTIONS=(command query projector)
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}

log() { printf '[docker-delivery] %s\n' "$*"; }
die() { printf '[docker-delivery] error: %s\n' "$*" >&2; exit 1; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

declare -A LOCAL_ID=() SHA_TAG=() REPO_REF=() DIGEST=()
REGISTRY_PASSWORD_VALUE=""

# ---- prerequisites: each failure is one line saying what to do --------------------------------------------------
check_local() {
  [[ $REGISTRY != *://* ]] || die "REGISTRY=$REGISTRY: give host[:port] without a scheme, e.g. 127.0.0.1:5000"
  [[ $ENV =~ ^[a-z][a-z0-9-]{0,19}$ ]] || die "ENV=$ENV: use a lowercase letter, then letters, digits or '-' (at most 20)"
  [ -x "$PYTHON" ] || die "$PYTHON not found: run make venv"
  timeout 20 docker info >/dev/null 2>&1 ||
    die "the Docker engine does not answer (docker info): start it (CI: bash .ci/docker/install_engine.sh)"
  [ -f "$DIGESTS_FILE" ] || die "$DIGESTS_FILE is missing: run make docker-build"
  version=$(tr -d '[:space:]' <version.txt)
  [ -n "$version" ] || die "version.txt is empty"
  local sha fn id candidate
  sha=$(git rev-parse --short=12 HEAD)
  for fn in "${FUNCTIONS[@]}"; do
    id=$(docker image inspect --format '{{.Id}}' "$IMAGE_PREFIX/$fn:$version" 2>/dev/null) ||
      die "image $IMAGE_PREFIX/$fn:$version does not exist: run make docker-build"
    LOCAL_ID[$fn]=$id
    for candidate in "$version-$sha" "$version-$sha-dirty"; do
      if [ "$(docker image inspect --format '{{.Id}}' "$IMAGE_PREFIX/$fn:$candidate" 2>/dev/null)" = "$id" ]; then
        SHA_TAG[$fn]=$candidate
        break
      fi
    done
    [ -n "${SHA_TAG[$fn]:-}" ] ||
      die "$IMAGE_PREFIX/$fn:$version was not built at commit $sha (no $version-$sha tag on it): run make docker-build"
  done
}

find_aws_cli() {
  # The venv's awscli first (the version the repo pins), then whatever PATH has.
  [ -n "$AWS_CLI" ] || { [ -x "$repo/.venv/bin/aws" ] && AWS_CLI=$repo/.venv/bin/aws; }
  [ -n "$AWS_CLI" ] || AWS_CLI=$(command -v aws || true)
  [ -n "$AWS_CLI" ] || die "the aws CLI is not installed: run make venv (awscli is a dev dependency) or install AWS CLI v2"
  "$AWS_CLI" sts get-caller-identity --region "$region" --output text >/dev/null 2>&1 ||
    die "no working AWS credentials (aws sts get-caller-identity failed): configure a profile or assume the deploy role"
}

# ---- where the images go ---------------------------------------------------------------------------------------
ecr_repositories() {
  local urls fn url
  log "ECR repositories of $ENV (python -m devstack aws-ecr: terraform apply -target=module.ecr)"
  urls=$(ENV=$ENV "$PYTHON" -m devstack aws-ecr) || die "creating the ECR repositories failed (message above)"
  for fn in "${FUNCTIONS[@]}"; do
    url=$("$PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$urls" "$fn") ||
      die "repository_urls has no $fn"
    REPO_REF[$fn]=$url
  done
  registry_host=${REPO_REF[command]%%/*}
  REGISTRY_PASSWORD_VALUE=$("$AWS_CLI" ecr get-login-password --region "$region") ||
    die "aws ecr get-login-password failed: check the credentials' ecr:GetAuthorizationToken permission"
  docker login --username AWS --password-stdin "$registry_host" <<<"$REGISTRY_PASSWORD_VALUE" >/dev/null ||
    die "docker login to $registry_host failed"
  log "logged in to $registry_host"
}

given_registry() {
  local fn
  for fn in "${FUNCTIONS[@]}"; do REPO_REF[$fn]=${REGISTRY%/}/$ENV-books-$fn; done
}

# "<digest> <config digest> <media type>" of ref:tag in its registry, each "-" when absent.
remote_manifest() {
  local ref=$1 tag=$2
  if [ -n "$REGISTRY_PASSWORD_VALUE" ]; then
    REGISTRY_USERNAME=AWS REGISTRY_PASSWORD=$REGISTRY_PASSWORD_VALUE \
      "$PYTHON" scripts/registry_manifest.py "${ref%%/*}" "${ref#*/}" "$tag"
  else
    "$PYTHON" scripts/registry_manifest.py "${ref%%/*}" "${ref#*/}" "$tag"
  fi
}

# ---- check every tag first, so a refused tag leaves the registry exactly as it was --------------------------------
declare -A EXISTING=()
check_tags() {
  local fn tag ref digest config media conflicts=0
  for fn in "${FUNCTIONS[@]}"; do
    ref=${REPO_REF[$fn]}
    for tag in "$version" "${SHA_TAG[$fn]}"; do
      read -r digest config media < <(remote_manifest "$ref" "$tag") || die "cannot read $ref:$tag from the registry"
      [ -n "${digest:-}" ] || die "cannot read $ref:$tag from the registry (message above)"
      [ "$digest" = - ] && continue
      if [ "$config" = "${LOCAL_ID[$fn]}" ]; then
        EXISTING[$fn:$tag]=$digest
      else
        printf '[docker-delivery] error: %s:%s already exists with different content (registry %s, image %s; local image %s). Tags are immutable: bump version.txt for new content\n' \
          "$ref" "$tag" "$digest" "${config/#-/$media}" "${LOCAL_ID[$fn]}" >&2
        conflicts=$((conflicts + 1))
      fi
    done
  done
  [ "$conflicts" -eq 0 ] || die "$conflicts tag(s) refused; nothing was pushed"
}

push_function() {
  local fn=$1 ref=${REPO_REF[$1]} tag digest started log_file remote
  mkdir -p build/logs
  log_file=build/logs/docker-delivery-$fn.log
  : >"$log_file"
  started=$(now_ms)
  for tag in "$version" "${SHA_TAG[$fn]}"; do
    if [ -n "${EXISTING[$fn:$tag]:-}" ]; then
      digest=${EXISTING[$fn:$tag]}
      log "$fn: $ref:$tag already holds this image ($digest): not pushed again"
    else
      docker tag "${LOCAL_ID[$fn]}" "$ref:$tag"
      docker push "$ref:$tag" >>"$log_file" 2>&1 || { tail -n 20 "$log_file" >&2; die "pushing $ref:$tag failed (log: $log_file)"; }
      digest=$(sed -n "s/^$tag: digest: \(sha256:[0-9a-f]\{64\}\) size: .*/\1/p" "$log_file" | tail -n 1)
      [ -n "$digest" ] || die "docker push printed no digest for $ref:$tag (log: $log_file)"
      # What the registry now answers for the tag must be what was pushed (it is the digest Lambda will pull).
      read -r remote _ _ < <(remote_manifest "$ref" "$tag") || die "cannot read back $ref:$tag"
      [ "$remote" = "$digest" ] || die "$ref:$tag: registry answers ${remote:-nothing}, docker push said $digest"
    fi
    [ -n "${DIGEST[$fn]:-}" ] || DIGEST[$fn]=$digest
  done
  local elapsed=$(($(now_ms) - started))
  printf '[docker-delivery] %-10s %5d.%ds  %s@%s  (tags %s, %s)\n' "$fn" $((elapsed / 1000)) $((elapsed % 1000 / 100)) \
    "$ref" "${DIGEST[$fn]}" "$version" "${SHA_TAG[$fn]}"
}

write_files() {
  local fn entries=() pushed=() joined
  for fn in "${FUNCTIONS[@]}"; do
    entries+=("\"$fn\": \"${DIGEST[$fn]}\"")
    pushed+=("\"$fn\": {\"repository\": \"${REPO_REF[$fn]}\", \"tags\": [\"$version\", \"${SHA_TAG[$fn]}\"], \"digest\": \"${DIGEST[$fn]}\", \"image_uri\": \"${REPO_REF[$fn]}@${DIGEST[$fn]}\", \"local_image_id\": \"${LOCAL_ID[$fn]}\"}")
  done
  mkdir -p "$(dirname "$DIGESTS_FILE")" "$(dirname "$PUSHED_FILE")"
  joined=$(printf ', %s' "${entries[@]}")
  printf '{"image_digests": {%s}}\n' "${joined:2}" >"$DIGESTS_FILE.tmp"
  joined=$(printf ',\n    %s' "${pushed[@]}")
  printf '{\n  "environment": "%s",\n  "images": {\n    %s\n  }\n}\n' "$ENV" "${joined:6}" >"$PUSHED_FILE.tmp"
  mv "$DIGESTS_FILE.tmp" "$DIGESTS_FILE"
  mv "$PUSHED_FILE.tmp" "$PUSHED_FILE"
  log "wrote $DIGESTS_FILE (pushed digests; make docker-build writes local image IDs there again) and $PUSHED_FILE"
}

total_started=$(now_ms)
check_local
if [ -n "$REGISTRY" ]; then
  given_registry
else
  find_aws_cli
  ecr_repositories
fi
check_tags
for fn in "${FUNCTIONS[@]}"; do push_function "$fn"; done
write_files
total=$(($(now_ms) - total_started))
log "delivered ${#FUNCTIONS[@]} images for $ENV in $((total / 1000)).$((total % 1000 / 100))s"
