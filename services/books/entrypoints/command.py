"""Write-side Lambda: POST, PUT, PATCH and DELETE on books, appended as events to the event store."""

from __future__ import annotations

import functools
import re
from http import HTTPStatus
from typing import Any

from books import bootstrap
from books.domain.commands import AddBook, PatchBook, RemoveBook, ReplaceBook
from books.entrypoints.http import (
    HttpApp,
    MalformedRequest,
    Request,
    Response,
    View,
    empty_response,
    etag,
    if_match_version,
    json_response,
)
from books.service_layer.handlers import Deps, Outcome, handle

JSON = ("application/json",)
MERGE_PATCH = ("application/merge-patch+json", "application/json")
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def post_book(request: Request, deps: Deps) -> Response:
    data = request.json_object(JSON)
    actor = request.caller()
    key = request.header("idempotency-key")
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise MalformedRequest("Idempotency-Key must be 1 to 255 visible ASCII characters")
    # Keys are scoped per caller: two callers may pick the same key without seeing each other's books.
    scoped = None if key is None else f"{actor}\n{key}"
    outcome = handle(AddBook(data, actor, scoped), deps)
    headers = {"location": f"/v1/catalog/books/{outcome.book.id}", "etag": etag(outcome.book.version)}
    if outcome.replayed:
        headers["idempotent-replayed"] = "true"
    return json_response(HTTPStatus.CREATED, outcome.book.to_dict(), headers)


def put_book(request: Request, deps: Deps) -> Response:
    data = request.json_object(JSON)
    cmd = ReplaceBook(request.path_params["id"], data, request.caller(), if_match_version(request))
    return _ok(handle(cmd, deps))


def patch_book(request: Request, deps: Deps) -> Response:
    patch = request.json_object(MERGE_PATCH)
    cmd = PatchBook(request.path_params["id"], patch, request.caller(), if_match_version(request))
    return _ok(handle(cmd, deps))


def delete_book(request: Request, deps: Deps) -> Response:
    handle(RemoveBook(request.path_params["id"], request.caller(), if_match_version(request)), deps)
    return empty_response(HTTPStatus.NO_CONTENT)


def _ok(outcome: Outcome) -> Response:
    return json_response(HTTPStatus.OK, outcome.book.to_dict(), {"etag": etag(outcome.book.version)})


ROUTES: dict[str, View[Deps]] = {
    "POST /v1/catalog/books": post_book,
    "PUT /v1/catalog/books/{id}": put_book,
    "PATCH /v1/catalog/books/{id}": patch_book,
    "DELETE /v1/catalog/books/{id}": delete_book,
}


@functools.cache
def app() -> HttpApp[Deps]:
    return HttpApp(ROUTES, bootstrap.command_deps)


def handler(event: dict[str, Any], context: Any) -> Response:
    return app().handle(event, context)
