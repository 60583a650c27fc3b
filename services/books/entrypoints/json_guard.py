"""Checks on a parsed JSON body before any handler sees it: nesting depth and unpaired surrogates."""

from __future__ import annotations

import re
from typing import Any

from books.domain.errors import FieldError

# A book body nests three levels (object, list, string); anything far deeper is not a book, and
# refusing it here keeps recursive code (merge patch, fingerprints) far from Python's recursion limit.
MAX_JSON_DEPTH = 32
# JSON allows "\ud800" escapes that decode to half a UTF-16 pair: no UTF-8 text, so nothing can store it.
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_ECHOED_PATH = 64


class BodyRejected(ValueError):
    """The body is JSON but cannot be taken; `errors` names where."""

    def __init__(self, detail: str, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


def check_body(data: Any) -> None:
    """Raise BodyRejected for nesting deeper than MAX_JSON_DEPTH or a surrogate in any key or string."""
    # Iterative on purpose: a recursive walk is what fails on deep input.
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH and isinstance(value, dict | list):
            raise BodyRejected(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, str):
            _check_text(value, path or "(body)")
        elif isinstance(value, dict):
            for key, member in value.items():
                _check_text(key, _join(path, key))
                stack.append((member, _join(path, key), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))


def _check_text(text: str, where: str) -> None:
    found = _SURROGATE.search(text)
    if found is not None:
        message = f"contains an unpaired UTF-16 surrogate (\\u{ord(found.group()):04x}), which is not text"
        raise BodyRejected(f"{where} {message}", (FieldError(where, message),))


def _join(path: str, key: str) -> str:
    # Escaped, so a bad key can be named in a JSON answer; shortened, so a huge key cannot bloat it.
    shown = key.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(shown) > _MAX_ECHOED_PATH:
        shown = shown[:_MAX_ECHOED_PATH] + "..."
    return f"{path}.{shown}" if path else shown
