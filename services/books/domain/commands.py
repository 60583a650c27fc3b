"""Commands: what a caller asks the catalog to do (imperative names)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AddBook:
    """Catalogue a new book. idempotency_key (already scoped to the caller) makes retries safe."""

    data: dict[str, Any]
    actor: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ReplaceBook:
    """Replace every client field of a book (PUT). expected_version None means no If-Match."""

    book_id: str
    data: dict[str, Any]
    actor: str
    expected_version: int | None = None


@dataclass(frozen=True)
class PatchBook:
    """Apply a JSON merge patch (RFC 7396) to a book's client fields."""

    book_id: str
    patch: dict[str, Any]
    actor: str
    expected_version: int | None = None


@dataclass(frozen=True)
class RemoveBook:
    """Remove a book from the catalog and free its ISBN."""

    book_id: str
    actor: str
    expected_version: int | None = None


Command = AddBook | ReplaceBook | PatchBook | RemoveBook
