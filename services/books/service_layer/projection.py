"""Event handlers that keep the read model current; safe to run twice or out of order."""

from __future__ import annotations

from books.adapters.read_model import AbstractReadModel
from books.domain.events import BookRemoved, Event


def project(event: Event, read_model: AbstractReadModel) -> bool:
    """Apply one event to the read model; False when it was already applied or superseded."""
    if isinstance(event, BookRemoved):
        return read_model.tombstone(event.book.id, event.book.version)
    return read_model.upsert(event.book)
