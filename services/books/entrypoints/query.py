"""Read-side Lambda: GET one book or a page of books, served from the read model only."""

from __future__ import annotations

import functools
from http import HTTPStatus
from typing import Any

from books import bootstrap, views
from books.adapters.read_model import AbstractReadModel
from books.entrypoints.http import HttpApp, Request, Response, View, etag, json_response


def get_book(request: Request, read_model: AbstractReadModel) -> Response:
    book = views.get_book(request.path_params["id"], read_model)
    return json_response(HTTPStatus.OK, book, {"etag": etag(int(book["version"]))})


def list_books(request: Request, read_model: AbstractReadModel) -> Response:
    return json_response(HTTPStatus.OK, views.list_books(read_model, request.query))


ROUTES: dict[str, View[AbstractReadModel]] = {
    "GET /v1/catalog/books": list_books,
    "GET /v1/catalog/books/{id}": get_book,
}


@functools.cache
def app() -> HttpApp[AbstractReadModel]:
    return HttpApp(ROUTES, bootstrap.read_model)


def handler(event: dict[str, Any], context: Any) -> Response:
    return app().handle(event, context)
