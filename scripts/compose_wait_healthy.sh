#!/usr/bin/env bash
# Wait (bounded) until the named compose services' containers report healthy; fail fast if one exits or turns
# unhealthy, printing its last log lines. docker-compose v1 has no `up --wait`, so both versions use this.
#   scripts/compose_wait_healthy.sh <project> <service>...      (COMPOSE, COMPOSE_WAIT_SECONDS=120)
set -euo pipefail
project=$1
shift
COMPOSE_WAIT_SECONDS=${COMPOSE_WAIT_SECONDS:-120}
if [ -z "${COMPOSE:-}" ]; then
  if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"; else COMPOSE=docker-compose; fi
fi
cd "$(dirname "$0")/.."

deadline=$((SECONDS + COMPOSE_WAIT_SECONDS))
pending=("$@")
while [ ${#pending[@]} -gt 0 ]; do
  still=()
  for service in "${pending[@]}"; do
    # shellcheck disable=SC2086 # COMPOSE may be two words
    id=$($COMPOSE -p "$project" ps -q "$service" 2>/dev/null || true)
    status=$([ -n "$id" ] && docker inspect --format '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id" 2>/dev/null || echo missing)
    case $status in
      running/healthy) printf '[compose] %-10s healthy after %ds\n' "$service" "$SECONDS" ;;
      running/unhealthy | exited/* | dead/*)
        printf '[compose] %s is %s; last log lines:\n' "$service" "$status" >&2
        docker logs --tail 30 "$id" >&2 || true
        exit 1 ;;
      *) still+=("$service") ;;
    esac
  done
  pending=("${still[@]+"${still[@]}"}")
  if [ ${#pending[@]} -gt 0 ]; then
    if [ $SECONDS -ge $deadline ]; then
      echo "[compose] not healthy within ${COMPOSE_WAIT_SECONDS}s: ${pending[*]}" >&2
      exit 1
    fi
    sleep 1
  fi
done
