"""Events: what happened to a book (past tense). Each carries the book's full state after it."""

from __future__ import annotations

from dataclasses import dataclass

from books.domain.model import Book


@dataclass(frozen=True)
class BookAdded:
    book: Book
    actor: str


@dataclass(frozen=True)
class BookReplaced:
    book: Book
    actor: str


@dataclass(frozen=True)
class BookPatched:
    book: Book
    actor: str
    changed: tuple[str, ...]


@dataclass(frozen=True)
class BookRemoved:
    """The book is gone; `book` is its last state with the version and time of the removal."""

    book: Book
    actor: str


Event = BookAdded | BookReplaced | BookPatched | BookRemoved
EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls for cls in (BookAdded, BookReplaced, BookPatched, BookRemoved)
}
