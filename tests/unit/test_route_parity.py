"""The routes in services/openapi.yaml, in terraform/*.tf and in the Lambda handlers are one and the same set."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from books.entrypoints import command, query

REPO = Path(__file__).resolve().parents[2]
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
# A quoted route key such as "GET /v1/catalog/books/{id}", as the routes map in terraform is keyed.
ROUTE_KEY = re.compile(r'"((?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /[^"\s]*)"')


def openapi_routes() -> set[str]:
    document = yaml.safe_load((REPO / "services" / "openapi.yaml").read_text())
    return {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def terraform_routes() -> set[str]:
    return {
        key for tf in sorted((REPO / "terraform").glob("*.tf")) for key in ROUTE_KEY.findall(tf.read_text())
    }


def handler_routes() -> set[str]:
    return set(command.ROUTES) | set(query.ROUTES)


def test_command_and_query_serve_disjoint_routes() -> None:
    assert not set(command.ROUTES) & set(query.ROUTES)


def test_openapi_documents_exactly_the_routes_the_handlers_serve() -> None:
    assert openapi_routes() == handler_routes()


def test_terraform_declares_exactly_the_routes_the_handlers_serve() -> None:
    declared = terraform_routes()
    assert declared, "terraform/*.tf declares no quoted route keys yet"
    assert declared == handler_routes()
