#!/usr/bin/env bash
# Smoke-test the function images: each one, run as Lambda runs it (uid 993, AWS_LAMBDA_RUNTIME_API), must
# take one event from a fake Runtime API and post a response from our handler; its layers over the base must
# stay under MAX_ADDED_MB.
#
#   scripts/docker_smoke.sh [fn ...]      (default: command query projector; images books-cqrs/<fn>:<version>)
# Environment: IMAGE_PREFIX (books-cqrs), SMOKE_PORT (a free port found by itself), MAX_ADDED_MB (100),
#              BASE_IMAGE_LAMBDA (the base the images were built FROM, to measure the size they add)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

IMAGE_PREFIX=${IMAGE_PREFIX:-books-cqrs}
MAX_ADDED_MB=${MAX_ADDED_MB:-100}
BASE_IMAGE_LAMBDA=${BASE_IMAGE_LAMBDA:-}
PYTHON=${PYTHON:-python3}
version=$(tr -d '[:space:]' <version.txt)
# Lambda's own runtime user: AWS runs every image as this uid/gid whatever the image's USER says.
LAMBDA_USER=993:990

log() { printf '[docker-smoke] %s\n' "$*"; }
fail() { printf '[docker-smoke] FAIL %s\n' "$*" >&2; failures=$((failures + 1)); }

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Events that reach our code without touching AWS: an unknown HTTP route (404 problem) and an empty batch.
# shellcheck disable=SC2016 # "$default" is the literal stage name
http_event='{"version": "2.0", "routeKey": "GET /_smoke", "rawPath": "/_smoke", "rawQueryString": "",
  "headers": {}, "requestContext": {"http": {"method": "GET", "path": "/_smoke", "sourceIp": "127.0.0.1"},
  "requestId": "smoke", "routeKey": "GET /_smoke", "stage": "$default"}, "isBase64Encoded": false}'
stream_event='{"Records": []}'

smoke_one() {
  local fn=$1 image=$IMAGE_PREFIX/$1:$version port event_file out rc=0 outcome uid
  docker image inspect "$image" >/dev/null 2>&1 || { fail "$fn: no image $image (run make docker-build)"; return; }
  event_file=$(mktemp) out=$(mktemp)
  if [ "$fn" = projector ]; then echo "$stream_event" >"$event_file"; else echo "$http_event" >"$event_file"; fi
  port=${SMOKE_PORT:-$(free_port)}
  "$PYTHON" scripts/fake_runtime_api.py --port "$port" --event "$event_file" --timeout 60 >"$out" &
  local api_pid=$! started=$EPOCHREALTIME
  # The runtime exits by itself once the fake API goes away after the one invocation.
  docker run --rm --name "books-smoke-$fn-$$" --network host --user "$LAMBDA_USER" \
    -e AWS_LAMBDA_RUNTIME_API="127.0.0.1:$port" -e AWS_REGION=us-east-1 -e AWS_DEFAULT_REGION=us-east-1 \
    -e AWS_ACCESS_KEY_ID=test -e AWS_SECRET_ACCESS_KEY=test -e AWS_ENDPOINT_URL=http://127.0.0.1:9 \
    -e EVENT_STORE_TABLE=smoke-events -e READ_MODEL_TABLE=smoke-read-model -e LOG_LEVEL=INFO \
    "$image" >"$out.container" 2>&1 &
  local run_pid=$!
  wait "$api_pid" || rc=$?
  wait "$run_pid" || true
  outcome=$(cat "$out")
  local elapsed
  elapsed=$("$PYTHON" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$EPOCHREALTIME")
  if [ "$rc" -ne 0 ]; then
    fail "$fn: runtime outcome $outcome"
    tail -n 20 "$out.container" >&2
  elif [ "$fn" != projector ] && ! grep -q 'route-not-found' <<<"$outcome"; then
    fail "$fn: response is not our handler's 404 problem: $outcome"
  else
    log "$fn: handler answered in ${elapsed}s (container start included): ${outcome:0:120}"
  fi
  uid=$(docker run --rm --user "$LAMBDA_USER" --entrypoint /bin/sh "$image" -c 'id -u; test -r "$LAMBDA_TASK_ROOT/books/__init__.py" && echo readable')
  [ "$uid" = "993"$'\n'"readable" ] || fail "$fn: as uid 993 the task root is not readable ($uid)"
  log "$fn: default user $(docker image inspect --format '{{if .Config.User}}{{.Config.User}}{{else}}root (as the official base){{end}}' "$image"); runs and reads /var/task as uid 993"
  size_check "$fn" "$image"
  rm -f "$event_file" "$out" "$out.container"
}

# Added size = the image's size minus the size of its base (BASE_IMAGE_LAMBDA; without it only the total shows).
size_check() {
  local fn=$1 image=$2 base=$BASE_IMAGE_LAMBDA size base_size added
  size=$(docker image inspect --format '{{.Size}}' "$image")
  if [ -z "$base" ]; then
    log "$fn: $((size / 1000000)) MB (set BASE_IMAGE_LAMBDA to measure the size added over the base)"
    return
  fi
  base_size=$(docker image inspect --format '{{.Size}}' "$base")
  added=$(((size - base_size) / 1000000))
  if [ "$added" -ge "$MAX_ADDED_MB" ]; then fail "$fn: adds $added MB over $base (limit $MAX_ADDED_MB MB)"; fi
  log "$fn: adds $added MB over $base ($((size / 1000000)) MB in all; limit $MAX_ADDED_MB MB)"
}

failures=0
fns=("$@")
[ ${#fns[@]} -gt 0 ] || fns=(command query projector)
for fn in "${fns[@]}"; do smoke_one "$fn"; done
[ "$failures" -eq 0 ] || { log "$failures check(s) failed"; exit 1; }
log "${#fns[@]} function image(s) passed"
