"""The command Lambda over payload 2.0 events: statuses, headers, problem+json bodies and log lines."""

from __future__ import annotations

import base64
import json
import logging
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

import pytest
from books.entrypoints import command
from books.entrypoints.http import HttpApp
from books.service_layer.handlers import Deps

from tests.unit.services.fakes import FakeUnitOfWork, load_event, make_deps

CONTEXT = SimpleNamespace(aws_request_id="req-123")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def app(uow: FakeUnitOfWork) -> HttpApp[Deps]:
    deps = make_deps(uow)
    return HttpApp(command.ROUTES, lambda: deps)


def call(app: HttpApp[Deps], event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    response = app.handle(event, CONTEXT)
    body = json.loads(response["body"]) if response["body"] else None
    return response["statusCode"], response["headers"], body


def post(body: Any = None, **headers: str) -> dict[str, Any]:
    event = load_event("books_post_book")
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    event["headers"].update({k.replace("_", "-"): v for k, v in headers.items()})
    return event


def on_book(name: str, book_id: str, body: Any = None, **headers: str) -> dict[str, Any]:
    event = load_event(name)
    event["pathParameters"] = {"id": book_id}
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/v1/catalog/books/{book_id}"
    if body is not None:
        event["body"] = json.dumps(body)
    event["headers"].update({k.replace("_", "-"): v for k, v in headers.items()})
    return event


def created(app: HttpApp[Deps]) -> dict[str, Any]:
    status, _, body = call(app, post())
    assert status == 201
    return dict(body)


def test_post_book_is_201_with_location_etag_and_the_book(app: HttpApp[Deps]) -> None:
    status, headers, body = call(app, post())
    assert status == HTTPStatus.CREATED
    assert headers["location"] == f"/v1/catalog/books/{body['id']}"
    assert headers["etag"] == '"1"'
    assert body["isbn"] == "9780441478125"
    assert body["created_by"] == "local-writer"
    assert {"id", "version", "created_at", "updated_at"} <= set(body)


def test_base64_body_is_decoded(app: HttpApp[Deps]) -> None:
    event = post()
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True
    assert call(app, event)[0] == 201


def test_invalid_book_is_400_problem_naming_each_field(app: HttpApp[Deps]) -> None:
    status, headers, body = call(app, post({"title": "", "authors": [], "isbn": "123", "extra": 1}))
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert body["status"] == 400 and body["type"].endswith("invalid-request") and body["title"]
    assert {e["field"] for e in body["errors"]} == {"title", "authors", "isbn", "extra"}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_non_json_post_is_415(app: HttpApp[Deps], content_type: str) -> None:
    status, headers, body = call(app, post(content_type=content_type))
    assert status == 415 and headers["content-type"] == "application/problem+json" and body["status"] == 415


def test_json_with_charset_is_accepted(app: HttpApp[Deps]) -> None:
    assert call(app, post(content_type="application/json; charset=utf-8"))[0] == 201


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"', ""])
def test_malformed_or_non_object_body_is_400(app: HttpApp[Deps], body: str) -> None:
    event = post()
    event["body"] = body
    status, headers, problem = call(app, event)
    assert status == 400 and headers["content-type"] == "application/problem+json", problem


def test_duplicate_isbn_is_409(app: HttpApp[Deps]) -> None:
    created(app)
    status, _, body = call(app, post())
    assert status == 409 and body["type"].endswith("isbn-already-catalogued")


def test_post_without_jwt_subject_is_401(app: HttpApp[Deps]) -> None:
    event = post()
    del event["requestContext"]["authorizer"]
    assert call(app, event)[0] == 401


def test_retried_post_with_the_same_idempotency_key_returns_the_first_response(
    app: HttpApp[Deps], uow: FakeUnitOfWork
) -> None:
    first = call(app, post(idempotency_key="retry-1"))
    second = call(app, post(idempotency_key="retry-1"))
    assert first[0] == second[0] == 201
    assert first[2] == second[2]
    assert first[1]["location"] == second[1]["location"] and second[1]["idempotent-replayed"] == "true"
    assert len(uow.events.all_events()) == 1


def test_idempotency_keys_are_scoped_per_caller(app: HttpApp[Deps]) -> None:
    call(app, post(idempotency_key="same"))
    other = post(idempotency_key="same")
    other["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = "someone-else"
    assert call(app, other)[0] == 409  # not a replay of another caller's book: a new create, same ISBN


def test_idempotency_key_with_another_body_is_422(app: HttpApp[Deps]) -> None:
    call(app, post(idempotency_key="k"))
    book = json.loads(post()["body"])
    assert call(app, post({**book, "title": "Other"}, idempotency_key="k"))[0] == 422


def test_bad_idempotency_key_is_400(app: HttpApp[Deps]) -> None:
    assert call(app, post(idempotency_key="x" * 256))[0] == 400


def test_put_replaces_and_returns_the_new_version(app: HttpApp[Deps]) -> None:
    book = created(app)
    status, headers, body = call(app, on_book("books_put_book", book["id"]))
    assert status == 200 and headers["etag"] == '"2"'
    assert body["subtitle"] == "A Novel" and body["version"] == 2 and body["id"] == book["id"]


def test_put_with_stale_if_match_is_412(app: HttpApp[Deps]) -> None:
    book = created(app)
    call(app, on_book("books_put_book", book["id"]))
    status, _, body = call(
        app, on_book("books_put_book", book["id"], {**json.loads(post()["body"]), "title": "X"})
    )
    assert status == 412 and body["type"].endswith("version-mismatch")


def test_unparsable_if_match_never_matches(app: HttpApp[Deps]) -> None:
    book = created(app)
    assert call(app, on_book("books_patch_book", book["id"], if_match="W/1"))[0] == 412


def test_if_match_star_and_absent_if_match_are_allowed(app: HttpApp[Deps]) -> None:
    book = created(app)
    assert call(app, on_book("books_patch_book", book["id"], if_match="*"))[0] == 200
    event = on_book("books_patch_book", book["id"], {"page_count": 1})
    del event["headers"]["if-match"]
    assert call(app, event)[2]["version"] == 3


def test_put_of_unknown_book_is_404(app: HttpApp[Deps]) -> None:
    status, headers, _ = call(app, on_book("books_put_book", "10000000-0000-4000-8000-000000000001"))
    assert status == 404 and headers["content-type"] == "application/problem+json"


def test_invalid_put_is_400(app: HttpApp[Deps]) -> None:
    book = created(app)
    assert call(app, on_book("books_put_book", book["id"], {"title": "Only a title"}))[0] == 400


def test_patch_merges_and_removes_null_members(app: HttpApp[Deps]) -> None:
    book = created(app)
    status, headers, body = call(app, on_book("books_patch_book", book["id"]))
    assert status == 200 and headers["etag"] == '"2"'
    assert body["page_count"] == 320 and "tags" not in body and body["title"] == book["title"]


def test_patch_accepts_plain_json_but_not_text(app: HttpApp[Deps]) -> None:
    book = created(app)
    assert call(app, on_book("books_patch_book", book["id"], content_type="application/json"))[0] == 200
    assert call(app, on_book("books_patch_book", book["id"], content_type="text/plain"))[0] == 415


def test_invalid_patch_is_400(app: HttpApp[Deps]) -> None:
    book = created(app)
    status, _, body = call(
        app, on_book("books_patch_book", book["id"], {"published_year": 99}, if_match='"1"')
    )
    assert status == 400 and body["errors"][0]["field"] == "published_year"


def test_delete_is_204_then_404(app: HttpApp[Deps]) -> None:
    book = created(app)
    status, _, body = call(app, on_book("books_delete_book", book["id"]))
    assert status == 204 and body is None
    assert call(app, on_book("books_delete_book", book["id"]))[0] == 404


def test_delete_with_stale_if_match_is_412(app: HttpApp[Deps]) -> None:
    book = created(app)
    assert call(app, on_book("books_delete_book", book["id"], if_match='"7"'))[0] == 412


def test_routes_resolve_from_the_raw_path_behind_a_default_route(app: HttpApp[Deps]) -> None:
    event = post()
    event["routeKey"] = "$default"
    assert call(app, event)[0] == 201
    event["requestContext"]["http"]["method"] = "GET"
    assert call(app, event)[0] == 405
    event["rawPath"] = "/v1/elsewhere"
    assert call(app, event)[0] == 404


def test_unexpected_error_is_a_bare_500_problem_and_the_trace_is_logged(
    uow: FakeUnitOfWork, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(FakeUnitOfWork):
        def _commit(self, writes: Any, now: int) -> None:
            raise RuntimeError("disk on fire")

    deps = make_deps(Broken())
    app = HttpApp(command.ROUTES, lambda: deps)
    with caplog.at_level(logging.INFO, logger="books.http"):
        status, headers, body = call(app, post())
    assert status == 500 and headers["content-type"] == "application/problem+json"
    assert "disk on fire" not in json.dumps(body) and "Traceback" not in json.dumps(body)
    [record] = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is not None


def test_one_structured_log_line_per_request(app: HttpApp[Deps], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="books.http"):
        call(app, post())
    [record] = caplog.records
    fields = vars(record)
    assert fields["aws_request_id"] == "req-123"
    assert fields["api_request_id"] == "JKJaXmPLvHcESHA="
    assert fields["route"] == "POST /v1/catalog/books"
    assert fields["status"] == 201
    assert fields["duration_ms"] >= 0
