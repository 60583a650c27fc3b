"""The DynamoDB read model against a moto server: versioned upserts, tombstones, GSI pages and cursors."""

from __future__ import annotations

from typing import Any

import pytest
from books import views
from books.adapters.read_model import DynamoDbReadModel
from books.domain.model import Book, BookFields

from tests.integration.services.conftest import Tables


def book(n: int, version: int = 1, title: str | None = None, author: str = "Ursula K. Le Guin") -> Book:
    fields = BookFields(title=title or f"Title {n:03d}", authors=(author, "Co Author"), isbn=f"978{n:010d}")
    return Book(f"6c1e0000-0000-4000-8000-{n:012d}", fields, version, "t0", f"t{version}", "alice")


@pytest.fixture
def read_model(dynamodb: Any, tables: Tables) -> DynamoDbReadModel:
    return DynamoDbReadModel(dynamodb, tables.read_model)


def test_upsert_keeps_only_the_newest_version(read_model: DynamoDbReadModel) -> None:
    assert read_model.upsert(book(1, 2, "Second"))
    assert not read_model.upsert(book(1, 1, "First"))
    assert not read_model.upsert(book(1, 2, "Second"))  # duplicate delivery
    assert read_model.get(book(1).id) == book(1, 2, "Second").to_dict()


def test_tombstone_hides_the_book_and_blocks_older_versions(read_model: DynamoDbReadModel) -> None:
    read_model.upsert(book(1, 1))
    assert read_model.tombstone(book(1).id, 3)
    assert not read_model.upsert(book(1, 2))
    assert read_model.get(book(1).id) is None
    assert read_model.page(author=None, q=None, limit=10, start=None) == ([], None)


def walk(read_model: DynamoDbReadModel, limit: int, **filters: str) -> list[list[str]]:
    """Follow next_cursor through views.list_books until it runs out; the titles of each page."""
    pages: list[list[str]] = []
    params = {"limit": str(limit), **filters}
    while True:
        page = views.list_books(read_model, params)
        pages.append([item["title"] for item in page["items"]])
        if not page["next_cursor"]:
            return pages
        params = {**params, "cursor": page["next_cursor"]}
        assert len(pages) < 50, "cursor does not advance"


def test_cursor_pages_cover_every_book_once_in_title_order(read_model: DynamoDbReadModel) -> None:
    for n in range(23):
        read_model.upsert(book(n))
    pages = walk(read_model, 5)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [t for p in pages for t in p] == [f"Title {n:03d}" for n in range(23)]


def test_filtered_pages_are_full_and_skip_nothing(read_model: DynamoDbReadModel) -> None:
    for n in range(30):
        read_model.upsert(book(n, author="Frank Herbert" if n % 3 == 0 else "Someone Else"))
    pages = walk(read_model, 4, author="frank HERBERT")
    assert [t for p in pages for t in p] == [f"Title {n:03d}" for n in range(0, 30, 3)]
    assert [len(p) for p in pages[:-1]] == [4, 4]
    assert walk(read_model, 100, q="title 02")[0] == [f"Title {n:03d}" for n in range(20, 30)]
    assert walk(read_model, 10, q="no such words") == [[]]


def test_author_filter_matches_whole_names_only(read_model: DynamoDbReadModel) -> None:
    read_model.upsert(book(1, author="Frank Herbert"))
    assert walk(read_model, 10, author="Herbert") == [[]]
    assert walk(read_model, 10, author="co author") == [["Title 001"]]
