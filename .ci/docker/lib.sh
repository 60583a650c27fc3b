# Shared helpers for the .ci/docker scripts: one progress line per step, with its duration.
# shellcheck shell=bash

ci_log() { printf '[docker] %s\n' "$*"; }

# Milliseconds since the epoch, from bash's own clock (no bc/date arithmetic needed).
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# Format a millisecond count as seconds with one decimal.
fmt_ms() { printf '%d.%ds' $(($1 / 1000)) $((($1 % 1000) / 100)); }

# step "description" command...: runs the command, then prints one line with the time it took.
# A failing step prints its line to stderr and returns the command's exit code.
step() {
  local what=$1 start rc=0
  shift
  start=$(now_ms)
  "$@" || rc=$?
  if [ "$rc" -eq 0 ]; then
    printf '[docker] %-52s %8s\n' "$what" "$(fmt_ms $(($(now_ms) - start)))"
  else
    printf '[docker] %-52s FAILED (exit %d) after %s\n' "$what" "$rc" "$(fmt_ms $(($(now_ms) - start)))" >&2
  fi
  return "$rc"
}
