"""One progress line per step, with its duration."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Step:
    """A running step; `note` replaces the default 'done' in its progress line."""

    def __init__(self) -> None:
        self.note = "done"


@contextmanager
def step(label: str, prefix: str = "local-up") -> Iterator[Step]:
    started = time.monotonic()
    current = Step()
    try:
        yield current
    except BaseException:
        sys.stdout.write(f"[{prefix}] {label:<28} FAILED ({time.monotonic() - started:.1f}s)\n")
        sys.stdout.flush()
        raise
    sys.stdout.write(f"[{prefix}] {label:<28} {current.note} ({time.monotonic() - started:.1f}s)\n")
    sys.stdout.flush()
