"""Unit of work: gathers one command's writes and commits them to the event store atomically."""

from __future__ import annotations

import abc
from typing import Any

from books.adapters.event_store import (
    AbstractEventStore,
    AppendEvent,
    ClaimIsbn,
    DynamoDbEventStore,
    IdempotencyRecord,
    ReleaseIsbn,
    Remember,
    Write,
)
from books.domain.events import Event


class AbstractUnitOfWork(abc.ABC):
    """`with uow:` starts with no pending writes; writes not committed by the end are dropped."""

    events: AbstractEventStore

    def __init__(self) -> None:
        self._pending: list[Write] = []

    def __enter__(self) -> AbstractUnitOfWork:
        self._pending = []
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pending = []

    def append(self, event: Event) -> None:
        self._pending.append(AppendEvent(event))

    def claim_isbn(self, isbn: str, book_id: str) -> None:
        self._pending.append(ClaimIsbn(isbn, book_id))

    def release_isbn(self, isbn: str, book_id: str) -> None:
        self._pending.append(ReleaseIsbn(isbn, book_id))

    def remember(self, key: str, record: IdempotencyRecord) -> None:
        self._pending.append(Remember(key, record))

    def commit(self, now: int) -> None:
        writes, self._pending = tuple(self._pending), []
        self._commit(writes, now)

    @abc.abstractmethod
    def _commit(self, writes: tuple[Write, ...], now: int) -> None:
        """Write all or nothing."""


class DynamoDbUnitOfWork(AbstractUnitOfWork):
    """Commits with one TransactWriteItems call on the event store table."""

    def __init__(self, client: Any, table: str) -> None:
        super().__init__()
        self.events = DynamoDbEventStore(client, table)

    def _commit(self, writes: tuple[Write, ...], now: int) -> None:
        self.events.write(writes, now)
