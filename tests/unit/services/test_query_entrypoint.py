"""The query Lambda: reads from the read model only, pages with an opaque cursor, 400s on bad input."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any

import pytest
from books.adapters.read_model import AbstractReadModel
from books.domain.model import Book, BookFields
from books.entrypoints import query
from books.entrypoints.http import HttpApp

from tests.unit.services.fakes import FakeReadModel, load_event

CONTEXT = SimpleNamespace(aws_request_id="req-q")


def book(n: int, title: str, authors: tuple[str, ...] = ("Ursula K. Le Guin",), **extra: Any) -> Book:
    fields = BookFields(title=title, authors=authors, isbn=f"978000000{n:04d}", **extra)
    return Book(
        f"00000000-0000-4000-9000-{n:012d}",
        fields,
        1,
        "2025-01-01T00:00:00.000Z",
        "2025-01-01T00:00:00.000Z",
        "u",
    )


@pytest.fixture
def read_model() -> FakeReadModel:
    model = FakeReadModel()
    model.upsert(book(1, "The Dispossessed", description="An ambiguous utopia"))
    model.upsert(book(2, "A Wizard of Earthsea"))
    model.upsert(book(3, "Dune", authors=("Frank Herbert",), subtitle="Spice saga"))
    model.upsert(book(4, "The Lathe of Heaven"))
    return model


@pytest.fixture
def app(read_model: FakeReadModel) -> HttpApp[AbstractReadModel]:
    return HttpApp(query.ROUTES, lambda: read_model)


def call(app: HttpApp[AbstractReadModel], event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    response = app.handle(event, CONTEXT)
    return response["statusCode"], response["headers"], json.loads(response["body"])


def get(book_id: str) -> dict[str, Any]:
    event = load_event("books_get_book")
    event["pathParameters"] = {"id": book_id}
    return event


def listing(**params: str) -> dict[str, Any]:
    event = load_event("books_list_books")
    event["queryStringParameters"] = params
    return event


def test_get_book_is_200_with_etag_and_no_internal_attributes(app: HttpApp[AbstractReadModel]) -> None:
    status, headers, body = call(app, get("00000000-0000-4000-9000-000000000003"))
    assert status == 200 and headers["etag"] == '"1"'
    assert body == book(3, "Dune", authors=("Frank Herbert",), subtitle="Spice saga").to_dict()


def test_get_unknown_or_removed_book_is_404(
    app: HttpApp[AbstractReadModel], read_model: FakeReadModel
) -> None:
    status, headers, body = call(app, get("00000000-0000-4000-9000-000000000099"))
    assert status == 404 and headers["content-type"] == "application/problem+json" and body["status"] == 404
    read_model.tombstone("00000000-0000-4000-9000-000000000001", 2)
    assert call(app, get("00000000-0000-4000-9000-000000000001"))[0] == 404


def test_list_is_in_title_order_with_default_limit(app: HttpApp[AbstractReadModel]) -> None:
    status, _, body = call(app, listing())
    assert status == 200
    assert [b["title"] for b in body["items"]] == [
        "A Wizard of Earthsea",
        "Dune",
        "The Dispossessed",
        "The Lathe of Heaven",
    ]
    assert body["next_cursor"] is None


def test_list_pages_with_an_opaque_cursor(app: HttpApp[AbstractReadModel]) -> None:
    first = call(app, listing(limit="3"))[2]
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = call(app, listing(limit="3", cursor=first["next_cursor"]))[2]
    assert [b["title"] for b in second["items"]] == ["The Lathe of Heaven"]
    assert second["next_cursor"] is None


def test_author_filter_matches_any_author_case_insensitively(app: HttpApp[AbstractReadModel]) -> None:
    body = call(app, listing(author="URSULA k. le guin"))[2]
    assert {b["title"] for b in body["items"]} == {
        "A Wizard of Earthsea",
        "The Dispossessed",
        "The Lathe of Heaven",
    }


@pytest.mark.parametrize(
    ("q", "titles"),
    [
        ("earthsea", {"A Wizard of Earthsea"}),
        ("SPICE", {"Dune"}),
        ("utopia", {"The Dispossessed"}),
        ("herbert", {"Dune"}),
    ],
)
def test_q_searches_title_subtitle_description_and_authors(
    app: HttpApp[AbstractReadModel], q: str, titles: set[str]
) -> None:
    assert {b["title"] for b in call(app, listing(q=q))[2]["items"]} == titles


@pytest.mark.parametrize("limit", ["0", "101", "x", "-1", "1.5", "²"])
def test_bad_limit_is_400(app: HttpApp[AbstractReadModel], limit: str) -> None:
    status, headers, body = call(app, listing(limit=limit))
    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert body["errors"] == [{"field": "limit", "message": "must be an integer from 1 to 100"}]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "!!!",
        base64.urlsafe_b64encode(b'{"id": "x"}').decode(),
        base64.urlsafe_b64encode(b'{"id": "x", "kind": "tombstone", "title_key": "a"}').decode(),
        base64.urlsafe_b64encode(b"[1]").decode(),
    ],
)
def test_bad_cursor_is_400(app: HttpApp[AbstractReadModel], cursor: str) -> None:
    status, _, body = call(app, listing(cursor=cursor))
    assert status == 400 and body["errors"][0]["field"] == "cursor"


def test_over_long_filter_is_400(app: HttpApp[AbstractReadModel]) -> None:
    assert call(app, listing(q="x" * 201))[0] == 400
