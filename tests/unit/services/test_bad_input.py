"""Bad input is a 400 problem naming what is wrong, never a 500 or an event the read model cannot hold."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from books.adapters.event_store import IdempotencyRecord
from books.adapters.item_size import MAX_ITEM_BYTES, item_size
from books.adapters.read_model import read_model_item
from books.domain import validation as limits
from books.domain.errors import InvalidRequest
from books.domain.events import BookAdded
from books.domain.model import Book, BookFields
from books.entrypoints import command
from books.entrypoints.http import HttpApp
from books.entrypoints.json_guard import MAX_JSON_DEPTH
from books.service_layer.handlers import Deps
from books.service_layer.item_limits import ensure_storable

from tests.unit.services.fakes import FakeUnitOfWork, load_event, make_deps

CONTEXT = SimpleNamespace(aws_request_id="req-bad-input")
BOOK: dict[str, Any] = {"title": "Dune", "authors": ["Frank Herbert"], "isbn": "9780441172719"}
THIS_YEAR = 2025  # the fake clock's year
# Three bytes of UTF-8 that case-fold to six: the character that grows most in the read model's copies.
GROWS_MOST = "\u1ff7"


@pytest.fixture
def app() -> HttpApp[Deps]:
    deps = make_deps(FakeUnitOfWork())
    return HttpApp(command.ROUTES, lambda: deps)


def send(app: HttpApp[Deps], name: str, body: str, book_id: str | None = None) -> tuple[int, Any]:
    event = load_event(name)
    event["body"] = body
    if book_id is not None:
        event["pathParameters"] = {"id": book_id}
        event["rawPath"] = event["requestContext"]["http"]["path"] = f"/v1/catalog/books/{book_id}"
        event["headers"].pop("if-match", None)
    response = app.handle(event, CONTEXT)
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def fields_named(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem.get("errors", [])}


def existing_book(app: HttpApp[Deps]) -> str:
    status, body = send(app, "books_post_book", json.dumps(BOOK))
    assert status == 201, body
    return str(body["id"])


# Each write route with the body it carries: POST and PUT send a whole book, PATCH a merge patch.
WRITES = [
    pytest.param("books_post_book", False, id="POST"),
    pytest.param("books_put_book", True, id="PUT"),
    pytest.param("books_patch_book", True, id="PATCH"),
]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        pytest.param({"language": "x" + "-abcdefgh" * 30_000}, "language", "at most 35", id="270KB-language"),
        pytest.param({"description": "d" * 500_000}, "description", "at most 10000", id="500KB-description"),
        pytest.param({"title": "t" * 450_000}, "title", "at most 300", id="450KB-title"),
        pytest.param({"isbn": "-" * 300_000}, "isbn", "at most 32", id="300KB-isbn"),
        pytest.param({"authors": ["a"] * 100_000}, "authors", "at most 50 entries", id="100k-authors"),
        pytest.param({"tags": ["t" * 300_000]}, "tags[0]", "at most 50", id="300KB-tag"),
        pytest.param({"subtitle": ""}, "subtitle", "must not be blank", id="empty-subtitle"),
        pytest.param({"description": ""}, "description", "must not be blank", id="empty-description"),
        pytest.param({"published_year": 10_000}, "published_year", "between 1450", id="year-past-cap"),
        pytest.param(
            {"published_year": THIS_YEAR + 2}, "published_year", "between 1450", id="year-past-next"
        ),
    ],
)
@pytest.mark.parametrize(("route", "on_book"), WRITES)
def test_oversized_or_out_of_range_field_is_400_naming_it(
    app: HttpApp[Deps], route: str, on_book: bool, change: dict[str, Any], field: str, message: str
) -> None:
    book_id = existing_book(app) if on_book else None
    body = change if route == "books_patch_book" else {**BOOK, "isbn": "0441172717", **change}
    status, problem = send(app, route, json.dumps(body), book_id)
    assert status == 400, problem
    assert field in fields_named(problem)
    assert any(message in e["message"] for e in problem["errors"]), problem


@pytest.mark.parametrize(
    ("raw_body", "field"),
    [
        pytest.param('{"title": "a\\ud800b"}', "title", id="high-in-title"),
        pytest.param('{"tags": ["ok", "\\udc00"]}', "tags[1]", id="low-in-tag"),
        pytest.param('{"a\\ud800b": 1}', "a\\ud800b", id="in-a-key"),
        pytest.param('{"x": {"y\\udfff": "z"}}', "x.y\\udfff", id="in-a-nested-key"),
    ],
)
@pytest.mark.parametrize(("route", "on_book"), WRITES)
def test_unpaired_surrogate_anywhere_is_400_naming_where(
    app: HttpApp[Deps], route: str, on_book: bool, raw_body: str, field: str
) -> None:
    book_id = existing_book(app) if on_book else None
    status, problem = send(app, route, raw_body, book_id)
    assert status == 400, problem
    assert problem["type"].endswith("malformed-request") and "surrogate" in problem["detail"]
    assert fields_named(problem) == {field}


def test_a_paired_surrogate_escape_is_just_text(app: HttpApp[Deps]) -> None:
    status, book = send(app, "books_post_book", json.dumps({**BOOK, "title": "Dune \U0001f600"}))
    assert status == 201 and book["title"] == "Dune \U0001f600"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 900, 1_000, 5_000])
@pytest.mark.parametrize("opener", ["[", '{"a":'])
@pytest.mark.parametrize(("route", "on_book"), WRITES)
def test_deep_nesting_is_400(app: HttpApp[Deps], route: str, on_book: bool, depth: int, opener: str) -> None:
    book_id = existing_book(app) if on_book else None
    closer = "]" if opener == "[" else "}"
    nested = opener * depth + "1" + closer * depth
    status, problem = send(app, route, f'{{"title": {nested}}}' if opener == "[" else nested, book_id)
    assert status == 400, problem
    assert f"deeper than {MAX_JSON_DEPTH} levels" in problem["detail"]


def test_nesting_up_to_the_limit_reaches_field_validation(app: HttpApp[Deps]) -> None:
    nested = "[" * (MAX_JSON_DEPTH - 1) + "1" + "]" * (MAX_JSON_DEPTH - 1)
    # The book object is one level, so the tags list and its nesting make exactly MAX_JSON_DEPTH.
    status, problem = send(app, "books_post_book", json.dumps(BOOK)[:-1] + f', "tags": {nested}}}')
    assert status == 400 and fields_named(problem) == {"tags[0]"}, problem


def _book(**fields: Any) -> Book:
    """A book built past validation, as a future attribute or a loosened limit could produce."""
    values = {"title": "Dune", "authors": ("Frank Herbert",), "isbn": "9780441172719", **fields}
    at = "2025-06-01T12:00:00.000Z"
    return Book("00000000-0000-4000-8000-000000000001", BookFields(**values), 1, at, at, "writer")


@pytest.mark.parametrize(
    ("book", "remembered", "field", "over"),
    [
        pytest.param(
            _book(description="d" * 420_000),
            False,
            "description",
            {"event store item", "read model item"},
            id="event",
        ),
        pytest.param(
            _book(description="d" * 150_000, authors=("a" * 150_000,)),
            False,
            "authors",
            {"read model item"},
            id="read-model-copies",
        ),
        pytest.param(
            _book(title="t" * 205_000),
            True,
            "title",
            {"read model item"},
            id="read-model-title-copies",
        ),
        pytest.param(
            _book(description="d" * 409_500),
            True,
            "description",
            {"event store item", "read model item", "idempotency record"},
            id="idempotency-record",
        ),
    ],
)
def test_item_over_dynamodb_limit_is_400_naming_the_largest_field(
    book: Book, remembered: bool, field: str, over: set[str]
) -> None:
    record = ("caller\nkey", IdempotencyRecord("f" * 64, book, 1)) if remembered else None
    with pytest.raises(InvalidRequest) as caught:
        ensure_storable(BookAdded(book, "writer"), record)
    [error] = caught.value.errors
    named = {w for w in ("event store item", "read model item", "idempotency record") if w in error.message}
    assert error.field == field and named == over and str(MAX_ITEM_BYTES) in error.message


def test_largest_valid_book_fits_every_item() -> None:
    def text(n: int) -> str:
        return GROWS_MOST * n

    book = _book(
        title=text(limits.MAX_TITLE),
        subtitle=text(limits.MAX_SUBTITLE),
        authors=tuple(f"{i:02d}{text(limits.MAX_AUTHOR - 2)}" for i in range(limits.MAX_AUTHORS)),
        language="x" + "-abcdefgh" * 3 + "-abcdef",
        published_year=2026,
        page_count=limits.MAX_PAGES,
        description=text(limits.MAX_DESCRIPTION),
        tags=tuple(f"{i:02d}{text(limits.MAX_TAG - 2)}" for i in range(limits.MAX_TAGS)),
    )
    assert len(book.fields.language or "") == limits.MAX_LANGUAGE
    assert validate_round_trip(book) == book.fields
    ensure_storable(BookAdded(book, "writer"), ("k" * 300, IdempotencyRecord("f" * 64, book, 1)))
    assert item_size(read_model_item(book)) < MAX_ITEM_BYTES


def validate_round_trip(book: Book) -> BookFields:
    return limits.validate_fields(book.fields.to_dict(), this_year=THIS_YEAR)


@pytest.mark.parametrize(
    ("item", "size"),
    [
        ({"a": "abc"}, 4),
        ({"name": "é"}, 6),
        ({"n": 1965}, 1 + 2 + 1),
        ({"n": 1000}, 1 + 1 + 1),
        ({"n": 12345}, 1 + 3 + 1),
        ({"flag": True, "gone": None}, 5 + 5),
        ({"l": []}, 1 + 3),
        ({"l": ["ab", "c"]}, 1 + 3 + (1 + 2) + (1 + 1)),
        ({"m": {"k": "v"}}, 1 + 3 + (1 + 1 + 1)),
    ],
)
def test_item_size_counts_as_dynamodb_documents(item: dict[str, Any], size: int) -> None:
    assert item_size(item) == size


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"isbn": "\u0669\u0667\u0668" + "0441172719"}, "isbn", id="arabic-indic-digits-isbn"),
        pytest.param({"language": "\u017fr"}, "language", id="long-s-matches-s-only-when-case-folded"),
        pytest.param({"language": "en-\u212a"}, "language", id="kelvin-sign-is-not-k"),
    ],
)
def test_non_ascii_look_alikes_are_refused(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        limits.validate_fields({**BOOK, **change}, this_year=THIS_YEAR)
    assert {e.field for e in caught.value.errors} == {field}


def test_a_huge_unknown_member_is_named_shortened(app: HttpApp[Deps]) -> None:
    status, problem = send(app, "books_post_book", json.dumps({**BOOK, "k" * 100_000: 1}))
    assert status == 400 and fields_named(problem) == {"k" * limits.MAX_ECHOED_NAME + "..."}
