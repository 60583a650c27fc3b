"""sha256 of moto functions by dotted name, so a patch can refuse a moto whose patched code it has not read."""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

# The fingerprint of an attribute moto does not have (an operation it does not implement): if a moto
# upgrade adds it, our stand-in would hide moto's own version, so that needs a review too.
ABSENT = "absent"
_MISSING = object()
F = TypeVar("F", bound=Callable[..., Any])


def source_fingerprint(func: Callable[..., Any]) -> str:
    return hashlib.sha256(inspect.getsource(func).encode()).hexdigest()


def _resolve(dotted: str) -> Any:
    """moto.pkg.module.Class.attr -> the attribute, or _MISSING; the longest importable prefix is the module."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            target = getattr(target, name, _MISSING)
            if target is _MISSING:
                return _MISSING
        return target
    return _MISSING


def fingerprint(dotted: str) -> str:
    """sha256 of moto's own source of `dotted`, ABSENT if moto has none (also once our stand-in is installed)."""
    target = _resolve(dotted)
    original = getattr(target, "__moto_original__", target)  # set by stand_in() on what we install
    if original is _MISSING or original is None:
        return ABSENT
    return source_fingerprint(original)


def fingerprints(names: Iterable[str]) -> dict[str, str]:
    return {name: fingerprint(name) for name in names}


def stand_in(owner: type, name: str, replacement: F) -> F:
    """Install replacement as owner.name, remembering moto's own (or None) for fingerprint()."""
    previous = owner.__dict__.get(name)
    replacement.__moto_original__ = getattr(previous, "__moto_original__", previous)  # type: ignore[attr-defined]
    setattr(owner, name, replacement)
    return replacement
