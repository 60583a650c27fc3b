"""make local-watch: bring the stack up if needed, then live-reload code and apply terraform/ edits as saved."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import requests

from devstack import issuer, source_digests, stack_env
from devstack.config import FUNCTIONS, REPO_ROOT, StackConfig

SERVICES = REPO_ROOT / "services"
TERRAFORM = REPO_ROOT / "terraform"
# What a function's image is built from (devstack/source_digests.py): shared by all, or its own Dockerfile.
_SHARED_CONTEXT = ("books", "requirements.txt")
_TERRAFORM_SUFFIXES = (".tf", ".tfvars", ".tf.json", ".tfvars.json")
_IGNORED_PARTS = {"__pycache__", ".terraform", ".pytest_cache", ".mypy_cache"}


@dataclass(frozen=True)
class Event:
    """What to do about a batch of saved files: reload these functions, and/or apply terraform/."""

    changed: tuple[str, ...]
    functions: tuple[str, ...] = ()
    apply: bool = False


def functions_for(path: Path) -> set[str]:
    """The functions whose build context holds path (empty when none does)."""
    try:
        parts = path.relative_to(SERVICES).parts
    except ValueError:
        return set()
    if not parts or _IGNORED_PARTS & set(parts) or path.suffix in {".pyc", ".pyo"}:
        return set()
    if parts[0] in _SHARED_CONTEXT:
        return set(FUNCTIONS)
    if parts[0] == "functions" and len(parts) > 2 and parts[1] in FUNCTIONS:
        return {parts[1]}
    return set()


def is_terraform(path: Path) -> bool:
    try:
        parts = path.relative_to(TERRAFORM).parts
    except ValueError:
        return False
    return not _IGNORED_PARTS & set(parts) and path.name.endswith(_TERRAFORM_SUFFIXES)


def classify(paths: Iterable[str | Path]) -> Event | None:
    """One event for one batch of changed paths; None when nothing in it matters."""
    functions: set[str] = set()
    apply = False
    changed = []
    for raw in paths:
        path = Path(raw)
        owners, tf = functions_for(path), is_terraform(path)
        if owners or tf:
            changed.append(str(path.relative_to(REPO_ROOT)))
        functions |= owners
        apply = apply or tf
    if not changed:
        return None
    return Event(tuple(sorted(changed)), tuple(f for f in FUNCTIONS if f in functions), apply)


def drop_bytecode(changed: Iterable[str]) -> None:
    """Remove the cached bytecode of changed modules: an edit of the same size within the second of the last
    compile would otherwise pass Python's mtime+size check, and the new environment would run the old code."""
    for path in changed:
        if path.endswith(".py"):
            with contextlib.suppress(OSError, ValueError):
                Path(importlib.util.cache_from_source(str(REPO_ROOT / path))).unlink(missing_ok=True)


def only_changed(event: Event, digests: dict[str, str]) -> Event | None:
    """Drop functions whose build context hashes as before (a save without a change, a reverted edit)."""
    now = {fn: source_digests.source_digest(fn) for fn in event.functions}
    functions = tuple(fn for fn in event.functions if now[fn] != digests.get(fn))
    digests.update(now)
    if not functions and not event.apply:
        return None
    return replace(event, functions=functions)


def _describe(changed: tuple[str, ...]) -> str:
    # Editors' temporary files come and go in the same batch: name a file that is there.
    first = next((path for path in changed if (REPO_ROOT / path).exists()), changed[0])
    return first if len(changed) == 1 else f"{first} (+{len(changed) - 1} more)"


@dataclass
class Actions:
    """The two things the watcher can do to a stack; injected so tests run them against fakes."""

    reload: Callable[[str, bool], dict[str, Any]]  # (function key, warm) -> the emulator's reload answer
    apply: Callable[[], str]  # -> one line: terraform's result


def handle(event: Event, actions: Actions) -> str:
    """Do what the event asks and say it in one line: what changed, what was done, how long it took."""
    started = time.monotonic()
    done = []
    if event.apply:
        # The apply also moves the image digests to the code on disk, as local-up would.
        done.append(actions.apply())
    if event.functions:
        # Retire every function first (milliseconds), so the next request runs the new code whatever happens;
        # then warm them one at a time (an init error shows here): on a small machine, parallel inits would
        # slow the one a request is waiting for, and a request for a function not yet warming starts its own.
        for function in event.functions:
            actions.reload(function, False)
        live = saved_ago(event.changed)
        answers = [actions.reload(function, True) for function in event.functions]
        reloaded, failed = [], []
        for function, answer in zip(event.functions, answers, strict=True):
            error = answer.get("init_error")
            if error:
                kind = error.get("errorType", "init error")
                failed.append(f"{function} INIT ERROR {kind}: {str(error.get('errorMessage', '')).strip()}")
            else:
                reloaded.append(function)
        if reloaded:
            done.append(f"reloaded {', '.join(reloaded)}")
        done.extend(failed)
        if live is not None:
            done.append(f"new code live {live:.2f}s after the save")
    return (
        f"[local-watch] {_describe(event.changed)} -> {'; '.join(done)} ({time.monotonic() - started:.2f}s)"
    )


def saved_ago(changed: Iterable[str]) -> float | None:
    """Seconds since the newest of the changed files was written (None when none is left to ask)."""
    stamps = []
    for path in changed:
        with contextlib.suppress(OSError):
            stamps.append((REPO_ROOT / path).stat().st_mtime)
    return max(0.0, time.time() - max(stamps)) if stamps else None


def first_error(output: str) -> str:
    """The diagnostic that says what is wrong, not terraform's summary of having problems."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("Error:") and "encountered problems" not in ln]
    return (errors or lines or ["no output"])[0]


def stack_actions(config: StackConfig, values: dict[str, str]) -> Actions:
    """The real actions: the emulator's reload endpoint, and local-up's terraform apply."""
    names = {
        fn: values.get(f"{fn.upper()}_FUNCTION") or f"{config.environment}-books-{fn}" for fn in FUNCTIONS
    }

    def reload(function: str, warm: bool) -> dict[str, Any]:
        url = f"{config.lambda_url}/_emulator/functions/{names[function]}/reload"
        try:
            response = requests.post(url, params={"warm": str(warm).lower()}, timeout=30)
            if response.status_code == 404:
                return {
                    "init_error": {"errorType": "NotFound", "errorMessage": f"{names[function]} not deployed"}
                }
            response.raise_for_status()
            return dict(response.json())
        except (requests.RequestException, ValueError) as exc:
            return {"init_error": {"errorType": "EmulatorUnreachable", "errorMessage": str(exc)}}

    def apply() -> str:
        from devstack.terraform import TerraformError
        from devstack.up import apply_terraform, wait_until_served

        output = io.StringIO()
        try:
            with contextlib.redirect_stdout(output):
                outputs = apply_terraform(config, issuer.in_force(config))
                wait_until_served(config, str(outputs["api_id"]))
        except (TerraformError, RuntimeError, OSError, KeyError, ValueError) as exc:
            return f"terraform apply FAILED: {first_error(str(exc))}"
        result = next((ln for ln in output.getvalue().splitlines() if "Apply complete" in ln), "applied")
        return "terraform apply: " + result.split("terraform apply", 1)[-1].strip().rsplit(" (", 1)[0]

    return Actions(reload, apply)


def watch(config: StackConfig | None = None, write: Callable[[str], None] | None = None) -> int:
    import watchfiles

    from devstack.up import up

    config = config or StackConfig.from_env()
    out = write or (lambda line: (sys.stdout.write(line + "\n"), sys.stdout.flush()))
    if config.mode not in ("embedded", "docker"):
        sys.stderr.write(f"local-watch: MODE={config.mode} cannot be live-reloaded (embedded or docker)\n")
        return 2
    values = stack_env.load(config.stack_env_path, {})
    if config.mode == "docker":
        # Function containers mount services/ from the host (a reload is a container start, not a build);
        # compose re-creates a running emulator for the new setting. Measured in the README (Live reload).
        os.environ["EMULATOR_MOUNT_CODE"] = "1"
    if config.mode == "docker" or not stack_env.answers_health(values):
        code = up(config)
        if code != 0:
            return code
        values = stack_env.read(config.stack_env_path)
    actions = stack_actions(config, values)
    digests = source_digests.source_digests()
    out(
        f"[local-watch] watching services/ and terraform/ for {values['API_URL']} (Ctrl-C stops watching only)"
    )
    # A short debounce: one save is one batch, and the reload starts within ~50 ms of it.
    for changes in watchfiles.watch(SERVICES, TERRAFORM, debounce=400, step=30, raise_interrupt=False):
        event = classify(path for _, path in changes)
        event = only_changed(event, digests) if event is not None else None
        if event is not None:
            drop_bytecode(event.changed)
            out(handle(event, actions))
    out("[local-watch] stopped watching; the stack keeps running (make local-down stops it)")
    return 0
