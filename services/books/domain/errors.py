"""Errors the books domain raises; each carries the HTTP status it is rendered with."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus


@dataclass(frozen=True)
class FieldError:
    """One bad field of a request: its name (e.g. `authors[1]`) and what is wrong with it."""

    field: str
    message: str


class BooksError(Exception):
    """Base of every error meant for the caller; rendered as application/problem+json."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR
    slug: str = "internal-error"
    title: str = "Internal error"

    def __init__(self, detail: str, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class InvalidRequest(BooksError):
    status = HTTPStatus.BAD_REQUEST
    slug = "invalid-request"
    title = "The request is invalid"


class BookNotFound(BooksError):
    status = HTTPStatus.NOT_FOUND
    slug = "not-found"
    title = "No such book"


class IsbnAlreadyCatalogued(BooksError):
    status = HTTPStatus.CONFLICT
    slug = "isbn-already-catalogued"
    title = "A book with this ISBN is already catalogued"


class VersionMismatch(BooksError):
    """The caller's If-Match names a version that is no longer current."""

    status = HTTPStatus.PRECONDITION_FAILED
    slug = "version-mismatch"
    title = "The book has changed since the version named in If-Match"


class ConcurrentUpdate(BooksError):
    """Another write produced the same version first (no If-Match was given)."""

    status = HTTPStatus.CONFLICT
    slug = "concurrent-update"
    title = "The book was changed by another request; retry"


class IdempotencyKeyReused(BooksError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY
    slug = "idempotency-key-reused"
    title = "This Idempotency-Key was already used with a different request"
