"""Event store items <-> domain events; shared by the event store and the projector."""

from __future__ import annotations

from typing import Any

from books.domain.events import EVENT_TYPES, BookAdded, BookPatched, BookRemoved, BookReplaced, Event
from books.domain.model import Book

BOOK_PREFIX = "book#"
ISBN_PREFIX = "isbn#"
IDEMPOTENCY_PREFIX = "idem#"


class UnreadableEvent(ValueError):
    """An event store item claims to be a book event but cannot be decoded."""


def book_pk(book_id: str) -> str:
    return f"{BOOK_PREFIX}{book_id}"


def event_to_item(event: Event) -> dict[str, Any]:
    """The event store item (plain Python values) for an event; `book` is the full snapshot."""
    item: dict[str, Any] = {
        "pk": book_pk(event.book.id),
        "sk": event.book.version,
        "event_type": type(event).__name__,
        "actor": event.actor,
        "occurred_at": event.book.updated_at,
        "book": event.book.to_dict(),
    }
    if isinstance(event, BookPatched):
        item["changed"] = list(event.changed)
    return item


def event_from_item(item: dict[str, Any]) -> Event:
    """Decode an event store item (plain Python values, numbers may be Decimal)."""
    try:
        cls = EVENT_TYPES[str(item["event_type"])]
        book = Book.from_dict(item["book"])
        actor = str(item["actor"])
        if int(item["sk"]) != book.version or item["pk"] != book_pk(book.id):
            raise UnreadableEvent(f"key {item['pk']}/{item['sk']} does not match its snapshot")
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, UnreadableEvent):
            raise
        raise UnreadableEvent(f"not a book event: {exc!r}") from exc
    if cls is BookPatched:
        return BookPatched(book, actor, tuple(str(c) for c in item.get("changed", ())))
    if cls is BookAdded:
        return BookAdded(book, actor)
    if cls is BookReplaced:
        return BookReplaced(book, actor)
    return BookRemoved(book, actor)
