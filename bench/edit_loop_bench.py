"""Benchmark the edit loop: from saving a handler to the new code answering, through `make local-up`.

Needs a running local stack (`make local-up`) and a clean services/books/entrypoints/query.py. It appends a
wrapper to the query handler that adds an `x-bench-edit: <nonce>` header, runs `make local-up` (which rebuilds
the digests and applies them), and polls the public list route until the header shows: that answer came from
the new code. Then it restores the file, runs `make local-up` again and times the way back the same way (the
header gone). The file is restored even when the bench fails; the stack is left on the committed code.

    .venv/bin/python bench/edit_loop_bench.py [--rounds 1] [--timeout 60]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "services")]

from bench.stack import load_stack  # noqa: E402

HANDLER = REPO_ROOT / "services" / "books" / "entrypoints" / "query.py"
HEADER = "x-bench-edit"
POLL_S = 0.05  # the figure's resolution
TARGET_S = 12.0
# Appended to the handler module, removed again when the bench ends.
EDIT = """

_bench_edit_handler = handler  # bench/edit_loop_bench.py: temporary, removed when the bench ends


def handler(event: Any, context: Any) -> Response:
    response = _bench_edit_handler(event, context)
    response["headers"] = {{**(response.get("headers") or {{}}), "{header}": "{nonce}"}}
    return response
"""


@dataclass(frozen=True)
class Sample:
    what: str
    local_up_s: float  # save -> `make local-up` returned
    served_s: float  # save -> the first answer from the new code


def handler_is_clean() -> bool:
    """True unless git reports local changes to the handler (the bench must not overwrite a user's edit)."""
    result = subprocess.run(
        ["git", "diff", "--quiet", "--", str(HANDLER)], cwd=REPO_ROOT, capture_output=True, check=False
    )
    return result.returncode == 0


def served_header(url: str) -> str | None:
    try:
        response = requests.get(url, timeout=5)
    except requests.RequestException:
        return None
    return response.headers.get(HEADER) if response.ok else "<not ok>"


def one_edit(what: str, content: bytes, url: str, wanted: str | None, timeout: float, log: Path) -> Sample:
    """Write `content`, run `make local-up`, and poll until the list route's header equals `wanted`."""
    started = time.monotonic()
    HANDLER.write_bytes(content)
    with log.open("ab") as out:
        result = subprocess.run(["make", "local-up"], cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
    local_up = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"`make local-up` failed ({result.returncode}) after the {what}: see {log}")
    deadline = started + timeout
    while (seen := served_header(url)) != wanted:
        if time.monotonic() >= deadline:
            sys.exit(f"the {what} was not served within {timeout:.0f} s (header {HEADER}: {seen!r})")
        time.sleep(POLL_S)
    return Sample(what, round(local_up, 2), round(time.monotonic() - started, 2))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=1, help="edit-and-revert rounds (default 1)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per edit (default 60)")
    args = parser.parse_args()

    stack = load_stack()
    if not handler_is_clean():
        sys.exit(f"{HANDLER.relative_to(REPO_ROOT)} has local changes: commit or stash them first")
    url = f"{stack['API_URL']}/v1/catalog/books?limit=1"
    if served_header(url) is not None:
        sys.exit(f"the stack does not serve the committed query handler (header {HEADER} present or 5xx)")
    log = Path(stack.get("LOG_DIR") or REPO_ROOT / ".local" / "logs") / "edit_loop_bench.log"
    original = HANDLER.read_bytes()
    samples: list[Sample] = []
    try:
        for _ in range(args.rounds):
            nonce = uuid.uuid4().hex[:12]
            edited = original + EDIT.format(header=HEADER, nonce=nonce).encode()
            samples.append(one_edit("edit", edited, url, nonce, args.timeout, log))
            samples.append(one_edit("revert", original, url, None, args.timeout, log))
    finally:
        if HANDLER.read_bytes() != original:
            HANDLER.write_bytes(original)
            sys.stderr.write(f"restored {HANDLER.relative_to(REPO_ROOT)}; run `make local-up` to serve it\n")

    sys.stdout.write(f"{'change':<8} {'local-up s':>10} {'served s':>9}\n")
    for sample in samples:
        sys.stdout.write(f"{sample.what:<8} {sample.local_up_s:>10.2f} {sample.served_s:>9.2f}\n")
    worst = max(s.served_s for s in samples)
    result = {
        "edit_to_served_s": [s.served_s for s in samples],
        "edit_to_local_up_done_s": [s.local_up_s for s in samples],
        "target_s": TARGET_S,
        "verdict": "PASS" if worst <= TARGET_S else "FAIL",
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
