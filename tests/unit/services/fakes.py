"""In-memory fakes of the event store, unit of work and read model, with the same conditions as DynamoDB."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from books.adapters.event_store import (
    AbstractEventStore,
    AppendEvent,
    ClaimIsbn,
    IdempotencyRecord,
    KeyAlreadyRemembered,
    ReleaseIsbn,
    Remember,
    Write,
)
from books.adapters.read_model import AbstractReadModel, fold, public_view, read_model_item
from books.domain.errors import ConcurrentUpdate, IsbnAlreadyCatalogued
from books.domain.events import Event
from books.domain.model import Book
from books.service_layer.handlers import Deps
from books.service_layer.unit_of_work import AbstractUnitOfWork

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"


def load_event(name: str) -> dict[str, Any]:
    """A sample Lambda event from tests/events/<name>.json."""
    return dict(json.loads((EVENTS_DIR / f"{name}.json").read_text()))


class FakeEventStore(AbstractEventStore):
    def __init__(self) -> None:
        self.events: dict[str, list[Event]] = {}
        self.claims: dict[str, str] = {}
        self.remembered: dict[str, IdempotencyRecord] = {}
        self.writes: list[tuple[Write, ...]] = []

    def latest(self, book_id: str) -> Event | None:
        history = self.events.get(book_id)
        return history[-1] if history else None

    def recall(self, key: str, now: int) -> IdempotencyRecord | None:
        record = self.remembered.get(key)
        return record if record is not None and record.expires_at > now else None

    def write(self, writes: tuple[Write, ...], now: int) -> None:
        # Check every condition before applying any (all or nothing); a taken key wins, as in DynamoDbEventStore.
        for w in sorted(writes, key=lambda w: not isinstance(w, Remember)):
            if isinstance(w, AppendEvent):
                history = self.events.get(w.event.book.id, [])
                if any(e.book.version == w.event.book.version for e in history):
                    raise ConcurrentUpdate("version taken")
            elif isinstance(w, ClaimIsbn) and w.isbn in self.claims:
                raise IsbnAlreadyCatalogued(f"ISBN {w.isbn} is already catalogued")
            elif isinstance(w, ReleaseIsbn) and self.claims.get(w.isbn, w.book_id) != w.book_id:
                raise ConcurrentUpdate("claim owned by another book")
            elif isinstance(w, Remember) and self.recall(w.key, now) is not None:
                raise KeyAlreadyRemembered(w.key)
        for w in writes:
            if isinstance(w, AppendEvent):
                self.events.setdefault(w.event.book.id, []).append(w.event)
            elif isinstance(w, ClaimIsbn):
                self.claims[w.isbn] = w.book_id
            elif isinstance(w, ReleaseIsbn):
                self.claims.pop(w.isbn, None)
            else:
                self.remembered[w.key] = w.record
        self.writes.append(writes)

    def all_events(self) -> list[Event]:
        return [e for history in self.events.values() for e in history]


class FakeUnitOfWork(AbstractUnitOfWork):
    def __init__(self, events: FakeEventStore | None = None) -> None:
        super().__init__()
        self.events: FakeEventStore = events or FakeEventStore()
        self.commits = 0

    def _commit(self, writes: tuple[Write, ...], now: int) -> None:
        self.events.write(writes, now)
        self.commits += 1


class FakeClock:
    """A clock that moves one second per reading, so every write gets a distinct time."""

    def __init__(self, start: datetime = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)) -> None:
        self.current = start

    def __call__(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


_ids = itertools.count(1)


def new_id() -> str:
    """Predictable UUIDs, unique across every Deps of a test run."""
    return f"00000000-0000-4000-8000-{next(_ids):012d}"


def make_deps(uow: FakeUnitOfWork | None = None) -> Deps:
    return Deps(uow=uow or FakeUnitOfWork(), now=FakeClock(), new_id=new_id)


class FakeReadModel(AbstractReadModel):
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def upsert(self, book: Book) -> bool:
        return self._put_if_newer(read_model_item(book))

    def tombstone(self, book_id: str, version: int) -> bool:
        return self._put_if_newer({"id": book_id, "version": version, "deleted": True})

    def get(self, book_id: str) -> dict[str, Any] | None:
        item = self.items.get(book_id)
        return None if item is None or item.get("deleted") else public_view(item)

    def page(
        self, *, author: str | None, q: str | None, limit: int, start: dict[str, str] | None
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        listed = sorted(
            (i for i in self.items.values() if i.get("kind") == "book"), key=lambda i: i["title_key"]
        )
        if start is not None:
            listed = [i for i in listed if i["title_key"] > start["title_key"]]
        if author:
            listed = [i for i in listed if fold(author) in i["author_keys"]]
        if q:
            listed = [i for i in listed if fold(q) in i["search_text"]]
        chosen = listed[:limit]
        last = chosen[-1] if chosen and len(listed) > limit else None
        key = None if last is None else {"id": last["id"], "kind": "book", "title_key": last["title_key"]}
        return [public_view(i) for i in chosen], key

    def _put_if_newer(self, item: dict[str, Any]) -> bool:
        existing = self.items.get(item["id"])
        if existing is not None and existing["version"] >= item["version"]:
            return False
        self.items[item["id"]] = item
        return True
