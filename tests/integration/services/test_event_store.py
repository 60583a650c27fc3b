"""The DynamoDB event store and unit of work against a moto server: conditional puts and transactions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from books.adapters.event_store import DynamoDbEventStore, IdempotencyRecord, KeyAlreadyRemembered
from books.domain.commands import AddBook, PatchBook, RemoveBook, ReplaceBook
from books.domain.errors import BookNotFound, ConcurrentUpdate, IsbnAlreadyCatalogued, VersionMismatch
from books.domain.events import BookAdded, BookPatched, BookRemoved, BookReplaced
from books.domain.model import Book, BookFields
from books.service_layer.handlers import Deps, handle, new_book_id
from books.service_layer.unit_of_work import DynamoDbUnitOfWork

from tests.integration.services.conftest import Tables

DUNE: dict[str, Any] = {"title": "Dune", "authors": ["Frank Herbert"], "isbn": "0441172717"}
NOW = 1_764_300_000


def a_book(version: int = 1, isbn: str = "9780441172719") -> Book:
    fields = BookFields(title="Dune", authors=("Frank Herbert",), isbn=isbn)
    return Book("5b0f7a7e-0000-4000-8000-000000000001", fields, version, "t0", f"t{version}", "alice")


@pytest.fixture
def uow(dynamodb: Any, tables: Tables) -> DynamoDbUnitOfWork:
    return DynamoDbUnitOfWork(dynamodb, tables.event_store)


@pytest.fixture
def deps(uow: DynamoDbUnitOfWork) -> Deps:
    return Deps(uow=uow, now=lambda: datetime.now(UTC), new_id=new_book_id)


def count_items(dynamodb: Any, table: str) -> int:
    return int(dynamodb.scan(TableName=table, Select="COUNT")["Count"])


def test_latest_returns_the_newest_event(uow: DynamoDbUnitOfWork) -> None:
    with uow:
        uow.append(BookAdded(a_book(1), "alice"))
        uow.commit(NOW)
    with uow:
        uow.append(BookPatched(replace(a_book(2), created_by="alice"), "bob", ("title",)))
        uow.commit(NOW)
    latest = uow.events.latest(a_book().id)
    assert isinstance(latest, BookPatched) and latest.book.version == 2 and latest.changed == ("title",)
    assert uow.events.latest("5b0f7a7e-0000-4000-8000-00000000ffff") is None


def test_a_second_event_with_the_same_version_is_a_concurrent_update(uow: DynamoDbUnitOfWork) -> None:
    with uow:
        uow.append(BookAdded(a_book(1), "alice"))
        uow.commit(NOW)
    with uow, pytest.raises(ConcurrentUpdate):
        uow.append(BookReplaced(a_book(1), "mallory"))
        uow.commit(NOW)
    assert isinstance(uow.events.latest(a_book().id), BookAdded)


def test_a_taken_isbn_fails_the_whole_transaction(
    uow: DynamoDbUnitOfWork, dynamodb: Any, tables: Tables
) -> None:
    with uow:
        uow.claim_isbn("9780441172719", "someone-else")
        uow.commit(NOW)
    with uow, pytest.raises(IsbnAlreadyCatalogued):
        uow.append(BookAdded(a_book(1), "alice"))
        uow.claim_isbn("9780441172719", a_book().id)
        uow.commit(NOW)
    assert uow.events.latest(a_book().id) is None
    assert count_items(dynamodb, tables.event_store) == 1


def test_only_the_owner_releases_a_claim(uow: DynamoDbUnitOfWork) -> None:
    with uow:
        uow.claim_isbn("9780441172719", "owner")
        uow.commit(NOW)
    with uow, pytest.raises(ConcurrentUpdate):
        uow.release_isbn("9780441172719", "intruder")
        uow.commit(NOW)
    with uow, pytest.raises(IsbnAlreadyCatalogued):
        uow.claim_isbn("9780441172719", "intruder")
        uow.commit(NOW)


def test_idempotency_records_are_recalled_until_they_expire(dynamodb: Any, tables: Tables) -> None:
    store = DynamoDbEventStore(dynamodb, tables.event_store)
    uow = DynamoDbUnitOfWork(dynamodb, tables.event_store)
    record = IdempotencyRecord("fp", a_book(), NOW + 60)
    with uow:
        uow.remember("alice\nk", record)
        uow.commit(NOW)
    assert store.recall("alice\nk", NOW) == record
    assert store.recall("alice\nk", NOW + 60) is None
    with uow, pytest.raises(KeyAlreadyRemembered):
        uow.remember("alice\nk", record)
        uow.claim_isbn("9780441172719", "x")
        uow.commit(NOW)
    with uow:  # an expired record may be overwritten before the TTL sweeper removes it
        uow.remember("alice\nk", replace(record, expires_at=NOW + 600))
        uow.commit(NOW + 61)


def test_handlers_run_a_book_through_its_life_on_dynamodb(deps: Deps, uow: DynamoDbUnitOfWork) -> None:
    added = handle(AddBook(dict(DUNE), "alice", "alice\nkey-1"), deps).book
    assert handle(AddBook(dict(DUNE), "alice", "alice\nkey-1"), deps).replayed
    with pytest.raises(IsbnAlreadyCatalogued):
        handle(AddBook({**DUNE, "title": "Dune again"}, "bob"), deps)

    replaced = handle(ReplaceBook(added.id, {**DUNE, "isbn": "9780441172696"}, "bob", 1), deps).book
    assert replaced.version == 2 and replaced.fields.isbn == "9780441172696"
    with pytest.raises(VersionMismatch):
        handle(PatchBook(added.id, {"page_count": 5}, "bob", 1), deps)
    patched = handle(PatchBook(added.id, {"page_count": 5}, "bob", 2), deps).book
    assert patched.version == 3 and patched.fields.page_count == 5

    handle(AddBook({**DUNE, "title": "Old ISBN is free"}, "carol"), deps)  # 9780441172719 was released
    handle(RemoveBook(added.id, "bob", 3), deps)
    assert isinstance(uow.events.latest(added.id), BookRemoved)
    with pytest.raises(BookNotFound):
        handle(RemoveBook(added.id, "bob"), deps)
    handle(AddBook({**DUNE, "isbn": "9780441172696"}, "dave"), deps)  # released by the removal
