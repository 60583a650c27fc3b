"""Command handlers against the fake unit of work: versions, ISBN claims, concurrency, idempotency."""

from __future__ import annotations

from typing import Any

import pytest
from books.adapters.event_store import Write
from books.domain.commands import AddBook, PatchBook, RemoveBook, ReplaceBook
from books.domain.errors import (
    BookNotFound,
    ConcurrentUpdate,
    IdempotencyKeyReused,
    InvalidRequest,
    IsbnAlreadyCatalogued,
    VersionMismatch,
)
from books.domain.events import BookAdded, BookPatched, BookRemoved, BookReplaced
from books.service_layer.handlers import Deps, handle

from tests.unit.services.fakes import FakeEventStore, FakeUnitOfWork, make_deps

DUNE: dict[str, Any] = {"title": "Dune", "authors": ["Frank Herbert"], "isbn": "0441172717"}
MESSIAH: dict[str, Any] = {"title": "Dune Messiah", "authors": ["Frank Herbert"], "isbn": "9780441172696"}


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def deps(uow: FakeUnitOfWork) -> Deps:
    return make_deps(uow)


def add(deps: Deps, data: dict[str, Any] = DUNE, key: str | None = None) -> Any:
    return handle(AddBook(dict(data), "alice", key), deps)


def test_add_book_appends_book_added_at_version_1_and_claims_the_isbn(
    deps: Deps, uow: FakeUnitOfWork
) -> None:
    book = add(deps).book
    assert book.version == 1 and book.created_by == "alice"
    assert book.fields.isbn == "9780441172719"
    assert book.created_at == book.updated_at == "2025-06-01T12:00:01.000Z"
    [event] = uow.events.all_events()
    assert isinstance(event, BookAdded) and event.book == book
    assert uow.events.claims == {"9780441172719": book.id}


def test_isbn_is_unique_across_the_catalog_whatever_its_form(deps: Deps, uow: FakeUnitOfWork) -> None:
    add(deps)
    with pytest.raises(IsbnAlreadyCatalogued):
        add(deps, {**MESSIAH, "isbn": "978-0-441-17271-9"})
    assert len(uow.events.all_events()) == 1


def test_invalid_book_writes_nothing(deps: Deps, uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidRequest):
        add(deps, {"title": "Dune"})
    assert uow.events.writes == []


def test_replace_makes_the_next_version(deps: Deps, uow: FakeUnitOfWork) -> None:
    book = add(deps).book
    replaced = handle(ReplaceBook(book.id, {**DUNE, "subtitle": "Deluxe"}, "bob", 1), deps).book
    assert replaced.version == 2 and replaced.fields.subtitle == "Deluxe"
    assert replaced.created_by == "alice" and replaced.created_at == book.created_at
    assert replaced.updated_at > book.updated_at
    assert isinstance(uow.events.latest(book.id), BookReplaced)


def test_replace_with_another_isbn_moves_the_claim(deps: Deps, uow: FakeUnitOfWork) -> None:
    book = add(deps).book
    handle(ReplaceBook(book.id, MESSIAH, "bob"), deps)
    assert uow.events.claims == {"9780441172696": book.id}
    add(deps)  # the old ISBN is free again


def test_replace_onto_a_claimed_isbn_is_409_and_changes_nothing(deps: Deps, uow: FakeUnitOfWork) -> None:
    first = add(deps).book
    second = add(deps, MESSIAH).book
    with pytest.raises(IsbnAlreadyCatalogued):
        handle(ReplaceBook(second.id, {**MESSIAH, "isbn": DUNE["isbn"]}, "bob"), deps)
    assert uow.events.latest(second.id).book.version == 1  # type: ignore[union-attr]
    assert uow.events.claims == {"9780441172719": first.id, "9780441172696": second.id}


def test_stale_if_match_is_version_mismatch(deps: Deps) -> None:
    book = add(deps).book
    handle(ReplaceBook(book.id, {**DUNE, "subtitle": "v2"}, "bob", 1), deps)
    with pytest.raises(VersionMismatch):
        handle(ReplaceBook(book.id, {**DUNE, "subtitle": "v3"}, "bob", 1), deps)
    with pytest.raises(VersionMismatch):
        handle(PatchBook(book.id, {"subtitle": "v3"}, "bob", 1), deps)
    with pytest.raises(VersionMismatch):
        handle(RemoveBook(book.id, "bob", 1), deps)


class RacingEventStore(FakeEventStore):
    """Lets another writer append the same next version just before our commit lands."""

    def __init__(self) -> None:
        super().__init__()
        self.rival: Any = None

    def write(self, writes: tuple[Write, ...], now: int) -> None:
        if self.rival is not None:
            rival, self.rival = self.rival, None
            rival()
        super().write(writes, now)


def test_concurrent_write_of_the_same_version_is_a_conflict() -> None:
    store = RacingEventStore()
    deps = make_deps(FakeUnitOfWork(store))
    other = make_deps(FakeUnitOfWork(store))
    book = add(deps).book
    store.rival = lambda: handle(ReplaceBook(book.id, {**DUNE, "subtitle": "rival"}, "eve"), other)

    with pytest.raises(ConcurrentUpdate):
        handle(ReplaceBook(book.id, {**DUNE, "subtitle": "mine"}, "bob"), deps)
    assert store.latest(book.id).book.fields.subtitle == "rival"  # type: ignore[union-attr]
    assert len(store.events[book.id]) == 2


def test_concurrent_write_with_if_match_is_version_mismatch() -> None:
    store = RacingEventStore()
    deps = make_deps(FakeUnitOfWork(store))
    book = add(deps).book
    store.rival = lambda: handle(
        PatchBook(book.id, {"subtitle": "rival"}, "eve"), make_deps(FakeUnitOfWork(store))
    )
    with pytest.raises(VersionMismatch):
        handle(PatchBook(book.id, {"subtitle": "mine"}, "bob", 1), deps)


def test_patch_merges_and_records_what_changed(deps: Deps, uow: FakeUnitOfWork) -> None:
    book = add(deps, {**DUNE, "tags": ["sf"], "page_count": 400}).book
    patched = handle(
        PatchBook(book.id, {"page_count": 412, "tags": None, "language": "en"}, "bob"), deps
    ).book
    assert patched.version == 2
    assert patched.fields.to_dict() == {**DUNE, "isbn": "9780441172719", "page_count": 412, "language": "en"}
    event = uow.events.latest(book.id)
    assert isinstance(event, BookPatched)
    assert set(event.changed) == {"page_count", "tags", "language"}


def test_patch_that_removes_a_required_field_is_400(deps: Deps) -> None:
    book = add(deps).book
    with pytest.raises(InvalidRequest) as caught:
        handle(PatchBook(book.id, {"title": None}, "bob"), deps)
    assert [e.field for e in caught.value.errors] == ["title"]


def test_write_that_changes_nothing_keeps_the_version(deps: Deps, uow: FakeUnitOfWork) -> None:
    book = add(deps).book
    assert handle(PatchBook(book.id, {"title": "Dune"}, "bob"), deps).book.version == 1
    assert handle(ReplaceBook(book.id, DUNE, "bob"), deps).book.version == 1
    assert len(uow.events.all_events()) == 1


def test_remove_appends_book_removed_and_frees_the_isbn(deps: Deps, uow: FakeUnitOfWork) -> None:
    book = add(deps).book
    removed = handle(RemoveBook(book.id, "bob", 1), deps).book
    assert removed.version == 2
    assert isinstance(uow.events.latest(book.id), BookRemoved)
    assert uow.events.claims == {}
    with pytest.raises(BookNotFound):
        handle(RemoveBook(book.id, "bob"), deps)
    with pytest.raises(BookNotFound):
        handle(PatchBook(book.id, {"title": "Back"}, "bob"), deps)
    assert add(deps).book.id != book.id


@pytest.mark.parametrize("book_id", ["10000000-0000-4000-8000-000000000099", "not-a-uuid", ""])
def test_unknown_book_is_not_found(deps: Deps, book_id: str) -> None:
    with pytest.raises(BookNotFound):
        handle(ReplaceBook(book_id, DUNE, "bob"), deps)


def test_retry_with_the_same_idempotency_key_returns_the_first_book(deps: Deps, uow: FakeUnitOfWork) -> None:
    first = add(deps, key="alice\nk1")
    again = add(deps, key="alice\nk1")
    assert not first.replayed and again.replayed
    assert again.book == first.book
    assert len(uow.events.all_events()) == 1


def test_idempotency_key_reused_with_another_body_is_rejected(deps: Deps) -> None:
    add(deps, key="alice\nk1")
    with pytest.raises(IdempotencyKeyReused):
        add(deps, MESSIAH, key="alice\nk1")


def test_different_idempotency_keys_are_different_requests(deps: Deps) -> None:
    add(deps, key="alice\nk1")
    with pytest.raises(IsbnAlreadyCatalogued):
        add(deps, key="alice\nk2")


def test_a_concurrent_retry_that_commits_first_is_answered_with_its_book() -> None:
    store = RacingEventStore()
    deps = make_deps(FakeUnitOfWork(store))
    other = make_deps(FakeUnitOfWork(store))
    winner: list[Any] = []
    store.rival = lambda: winner.append(add(other, key="alice\nk1"))
    outcome = add(deps, key="alice\nk1")
    assert outcome.replayed and outcome.book == winner[0].book
    assert len(store.all_events()) == 1


def test_expired_idempotency_record_is_forgotten(uow: FakeUnitOfWork) -> None:
    deps = make_deps(uow)
    short = Deps(uow=uow, now=deps.now, new_id=deps.new_id, idempotency_ttl_seconds=0)
    first = add(short, key="alice\nk1").book
    handle(RemoveBook(first.id, "alice"), short)
    second = add(short, key="alice\nk1")
    assert not second.replayed and second.book.id != first.id
