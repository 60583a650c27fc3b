"""Command handlers: plain functions that validate, decide and append events through the unit of work."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from books.adapters.event_store import IdempotencyRecord, KeyAlreadyRemembered
from books.domain import merge_patch
from books.domain.commands import AddBook, Command, PatchBook, RemoveBook, ReplaceBook
from books.domain.errors import BookNotFound, ConcurrentUpdate, IdempotencyKeyReused, VersionMismatch
from books.domain.events import BookAdded, BookPatched, BookRemoved, BookReplaced, Event
from books.domain.model import Book, BookFields
from books.domain.validation import validate_fields
from books.service_layer.item_limits import ensure_storable
from books.service_layer.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True)
class Deps:
    """What handlers need from the outside world; bootstrap builds it, tests pass fakes."""

    uow: AbstractUnitOfWork
    now: Callable[[], datetime]
    new_id: Callable[[], str]
    idempotency_ttl_seconds: int = 86_400


@dataclass(frozen=True)
class Outcome:
    """The book as the command left it; replayed is True when an idempotent retry was answered."""

    book: Book
    replayed: bool = False


def add_book(cmd: AddBook, deps: Deps) -> Outcome:
    now = deps.now()
    with deps.uow as uow:
        fingerprint = _fingerprint(cmd.data)
        if cmd.idempotency_key is not None:
            earlier = _replay(uow, cmd.idempotency_key, fingerprint, now)
            if earlier is not None:
                return earlier
        fields = validate_fields(cmd.data, this_year=now.year)
        at = _timestamp(now)
        book = Book(deps.new_id(), fields, 1, at, at, cmd.actor)
        event = BookAdded(book, cmd.actor)
        remembered = None
        if cmd.idempotency_key is not None:
            expires = int(now.timestamp()) + deps.idempotency_ttl_seconds
            remembered = (cmd.idempotency_key, IdempotencyRecord(fingerprint, book, expires))
        ensure_storable(event, remembered)
        uow.append(event)
        uow.claim_isbn(fields.isbn, book.id)
        if remembered is not None:
            uow.remember(*remembered)
        try:
            uow.commit(int(now.timestamp()))
        except KeyAlreadyRemembered:
            # A concurrent retry with the same key won the race: answer with its outcome.
            assert cmd.idempotency_key is not None
            earlier = _replay(uow, cmd.idempotency_key, fingerprint, now)
            if earlier is None:
                raise
            return earlier
    return Outcome(book)


def replace_book(cmd: ReplaceBook, deps: Deps) -> Outcome:
    now = deps.now()
    with deps.uow as uow:
        current = _current(uow, cmd.book_id, cmd.expected_version)
        fields = validate_fields(cmd.data, this_year=now.year)
        return _revise(uow, current, fields, now, cmd.expected_version, lambda b: BookReplaced(b, cmd.actor))


def patch_book(cmd: PatchBook, deps: Deps) -> Outcome:
    now = deps.now()
    with deps.uow as uow:
        current = _current(uow, cmd.book_id, cmd.expected_version)
        before = current.fields.to_dict()
        fields = validate_fields(merge_patch.apply(before, cmd.patch), this_year=now.year)
        after = fields.to_dict()
        changed = tuple(k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k))
        return _revise(
            uow, current, fields, now, cmd.expected_version, lambda b: BookPatched(b, cmd.actor, changed)
        )


def remove_book(cmd: RemoveBook, deps: Deps) -> Outcome:
    now = deps.now()
    with deps.uow as uow:
        current = _current(uow, cmd.book_id, cmd.expected_version)
        removed = replace(current, version=current.version + 1, updated_at=_timestamp(now))
        uow.append(BookRemoved(removed, cmd.actor))
        uow.release_isbn(current.fields.isbn, current.id)
        _commit(uow, now, cmd.expected_version)
    return Outcome(removed)


HANDLERS: dict[type[Any], Callable[[Any, Deps], Outcome]] = {
    AddBook: add_book,
    ReplaceBook: replace_book,
    PatchBook: patch_book,
    RemoveBook: remove_book,
}


def handle(cmd: Command, deps: Deps) -> Outcome:
    """Run the handler registered for the command's type."""
    return HANDLERS[type(cmd)](cmd, deps)


def new_book_id() -> str:
    return str(uuid.uuid4())


def _current(uow: AbstractUnitOfWork, book_id: str, expected_version: int | None) -> Book:
    """The book's state from its latest event; 404 when absent or removed, 412 on a stale If-Match."""
    if not _is_uuid(book_id):
        raise BookNotFound(f"no book with id {book_id}")
    latest = uow.events.latest(book_id)
    if latest is None or isinstance(latest, BookRemoved):
        raise BookNotFound(f"no book with id {book_id}")
    if expected_version is not None and expected_version != latest.book.version:
        raise VersionMismatch(
            f"If-Match names version {expected_version}; the current version is {latest.book.version}"
        )
    return latest.book


def _revise(
    uow: AbstractUnitOfWork,
    current: Book,
    fields: BookFields,
    now: datetime,
    expected_version: int | None,
    make_event: Callable[[Book], Event],
) -> Outcome:
    if fields == current.fields:
        return Outcome(current)  # nothing changed: no new version
    book = current.revised(fields, _timestamp(now))
    event = make_event(book)
    ensure_storable(event)
    uow.append(event)
    if fields.isbn != current.fields.isbn:
        uow.release_isbn(current.fields.isbn, current.id)
        uow.claim_isbn(fields.isbn, current.id)
    _commit(uow, now, expected_version)
    return Outcome(book)


def _commit(uow: AbstractUnitOfWork, now: datetime, expected_version: int | None) -> None:
    try:
        uow.commit(int(now.timestamp()))
    except ConcurrentUpdate as exc:
        if expected_version is not None:
            raise VersionMismatch(
                f"version {expected_version} was superseded while this request ran"
            ) from exc
        raise


def _replay(uow: AbstractUnitOfWork, key: str, fingerprint: str, now: datetime) -> Outcome | None:
    record = uow.events.recall(key, int(now.timestamp()))
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was first used with a different request body")
    return Outcome(record.book, replayed=True)


def _fingerprint(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # surrogatepass: the HTTP layer refuses lone surrogates, but a fingerprint must never be what fails.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _timestamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
