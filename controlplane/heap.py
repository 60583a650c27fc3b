"""After each full garbage collection, what survived is frozen: later full collections scan only newer objects.

moto keeps every table, item and stream record as Python objects in this process. CPython's full (generation
2) collection traverses all of them while holding the GIL, so every control-plane call waits for it: under the
soak bench, at about 1,700 event-store items, a full collection took 0.73 s (7 of them in 2 minutes, 2.4 s in
all), and projection lag and function timeouts followed. `gc.freeze()` moves the survivors to the permanent
generation, which collections skip; reference counting still frees a frozen object that is no longer used (a
deleted item, an expired stream record). Only garbage *cycles* among frozen objects would stay: what was
alive at a full collection and later became cyclic garbage. moto's items and records are not cyclic.
"""

from __future__ import annotations

import gc
from typing import Any

FULL = 2


def _freeze_after_full_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info.get("generation") == FULL:
        gc.freeze()


def install() -> None:
    """Once per process; a second call changes nothing."""
    if _freeze_after_full_collection not in gc.callbacks:
        gc.callbacks.append(_freeze_after_full_collection)
