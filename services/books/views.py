"""Query side: answers reads from the read model only, never from the event store."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from books.adapters.read_model import KIND, AbstractReadModel
from books.domain.errors import BookNotFound, FieldError, InvalidRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_FILTER_LENGTH = 200
_CURSOR_KEYS = {"id", "kind", "title_key"}


def get_book(book_id: str, read_model: AbstractReadModel) -> dict[str, Any]:
    book = read_model.get(book_id)
    if book is None:
        raise BookNotFound(f"no book with id {book_id}")
    return book


def list_books(read_model: AbstractReadModel, params: dict[str, str]) -> dict[str, Any]:
    """One page of books in title order: {items, next_cursor}; params are the raw query string values."""
    errors: list[FieldError] = []
    limit = _limit(params.get("limit"), errors)
    start = _decode_cursor(params["cursor"], errors) if params.get("cursor") else None
    author = params.get("author") or None
    q = params.get("q") or None
    for name, value in (("author", author), ("q", q)):
        if value is not None and len(value) > MAX_FILTER_LENGTH:
            errors.append(FieldError(name, f"must be at most {MAX_FILTER_LENGTH} characters"))
    if errors:
        raise InvalidRequest("invalid query parameters", tuple(errors))
    items, last = read_model.page(author=author, q=q, limit=limit, start=start)
    return {"items": items, "next_cursor": encode_cursor(last) if last else None}


def encode_cursor(key: dict[str, str]) -> str:
    raw = json.dumps(key, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, errors: list[FieldError]) -> dict[str, str] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError):
        key = None
    valid = (
        isinstance(key, dict)
        and set(key) == _CURSOR_KEYS
        and all(isinstance(v, str) for v in key.values())
        and key["kind"] == KIND
    )
    if not valid:
        errors.append(FieldError("cursor", "is not a cursor this API returned"))
        return None
    return key


def _limit(raw: str | None, errors: list[FieldError]) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be an integer from 1 to {MAX_LIMIT}"))
        return DEFAULT_LIMIT
    return int(raw)
