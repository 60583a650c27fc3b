"""Validation of client-supplied book fields; every bad field is reported, not just the first."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from books.domain import isbn as isbn_rules
from books.domain.errors import FieldError, InvalidRequest
from books.domain.model import CLIENT_FIELDS, REQUIRED_FIELDS, SERVER_FIELDS, BookFields

# Limits on every client field. services/openapi.yaml states the same numbers (a unit test checks), and
# with them the largest valid book stays far below DynamoDB's 400 KB item limit in every item it becomes.
FIRST_PRINTED_YEAR = 1450
LAST_YEAR = 9999  # a fixed four-digit cap; the year must also be at most next year
MAX_TITLE = 300
MAX_SUBTITLE = 300
MAX_AUTHORS = 50
MAX_AUTHOR = 200
MIN_ISBN_TEXT = 10  # an ISBN-10 without separators
MAX_ISBN_TEXT = 32  # an ISBN-13 with generous hyphens and spaces
# RFC 5646 section 4.4.1: 35 characters hold every registered tag without extensions.
MAX_LANGUAGE = 35
MAX_PAGES = 100_000
MAX_DESCRIPTION = 10_000
MAX_TAGS = 50
MAX_TAG = 50
MAX_ECHOED_NAME = 64
# Text must contain something other than whitespace (it is stripped before it is stored).
NOT_BLANK_PATTERN = r"\S"

# BCP 47 language tag (RFC 5646 langtag or private use), case-insensitive. Spelled out in ASCII classes
# (no flags) so that Python and the ECMA-262 engines that read the OpenAPI `pattern` agree on it.
LANGUAGE_PATTERN = (
    r"(?:(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[A-WYZa-wyz0-9](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
    r"|[Xx](?:-[A-Za-z0-9]{1,8})+)"
)
_BCP47 = re.compile(LANGUAGE_PATTERN)


class _Errors:
    """Collects FieldErrors while each field is checked."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(FieldError(field, message))


def validate_fields(data: Mapping[str, Any], *, this_year: int) -> BookFields:
    """Check and normalise a complete set of client fields; raise InvalidRequest naming each bad field."""
    errors = _Errors()
    for name in data:
        if name in SERVER_FIELDS:
            errors.add(name, "is read-only: the server sets it")
        elif name not in CLIENT_FIELDS:
            errors.add(_shortened(name), "is not a field of a book")
    for name in REQUIRED_FIELDS:
        if data.get(name) is None:
            errors.add(name, "is required")

    def check(name: str, rule: Callable[[Any, _Errors], Any]) -> Any:
        value = data.get(name)
        return None if value is None else rule(value, errors)

    title = check("title", lambda v, e: _text(v, e, "title", MAX_TITLE))
    subtitle = check("subtitle", lambda v, e: _text(v, e, "subtitle", MAX_SUBTITLE))
    authors = check("authors", lambda v, e: _text_list(v, e, "authors", MAX_AUTHORS, MAX_AUTHOR, False))
    isbn = check("isbn", _isbn)
    year = check(
        "published_year",
        lambda v, e: _whole(v, e, "published_year", FIRST_PRINTED_YEAR, min(this_year + 1, LAST_YEAR)),
    )
    language = check("language", _language)
    pages = check("page_count", lambda v, e: _whole(v, e, "page_count", 1, MAX_PAGES))
    description = check("description", lambda v, e: _text(v, e, "description", MAX_DESCRIPTION))
    tags = check("tags", lambda v, e: _text_list(v, e, "tags", MAX_TAGS, MAX_TAG, True))
    if errors.items:
        names = ", ".join(dict.fromkeys(e.field for e in errors.items))
        raise InvalidRequest(f"invalid fields: {names}", tuple(errors.items))
    return BookFields(
        title=title,
        authors=authors,
        isbn=isbn,
        subtitle=subtitle,
        published_year=year,
        language=language,
        page_count=pages,
        description=description,
        tags=tags,
    )


def _text(value: Any, errors: _Errors, field: str, max_len: int) -> str | None:
    if not isinstance(value, str):
        errors.add(field, "must be a string")
        return None
    # The limit applies to the text as sent, as the OpenAPI maxLength does.
    if len(value) > max_len:
        errors.add(field, f"must be at most {max_len} characters")
        return None
    text = value.strip()
    if not text:
        errors.add(field, "must not be blank")
    return text


def _text_list(
    value: Any, errors: _Errors, field: str, max_items: int, max_len: int, may_be_empty: bool
) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        errors.add(field, "must be a list of strings")
        return None
    if not value and not may_be_empty:
        errors.add(field, "must not be empty")
    if len(value) > max_items:
        # Checking each entry of an oversized list would only make an oversized answer.
        errors.add(field, f"must have at most {max_items} entries")
        return None
    items = tuple(_text(item, errors, f"{field}[{i}]", max_len) for i, item in enumerate(value))
    clean = tuple(item for item in items if item is not None)
    if len({item.casefold() for item in clean}) != len(clean):
        errors.add(field, "must not repeat an entry")
    return clean


def _whole(value: Any, errors: _Errors, field: str, low: int, high: int) -> int | None:
    # bool is an int subclass in Python, but `true` is not a year.
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field, "must be an integer")
        return None
    if not low <= value <= high:
        errors.add(field, f"must be between {low} and {high}")
    return value


def _isbn(value: Any, errors: _Errors) -> str | None:
    if not isinstance(value, str):
        errors.add("isbn", "must be a string")
        return None
    if len(value) > MAX_ISBN_TEXT:
        errors.add("isbn", f"must be at most {MAX_ISBN_TEXT} characters")
        return None
    try:
        return isbn_rules.normalise(value)
    except isbn_rules.InvalidIsbn as exc:
        errors.add("isbn", str(exc))
        return None


def _language(value: Any, errors: _Errors) -> str | None:
    if isinstance(value, str) and len(value) > MAX_LANGUAGE:
        errors.add("language", f"must be at most {MAX_LANGUAGE} characters")
        return None
    if not isinstance(value, str) or not _BCP47.fullmatch(value):
        errors.add("language", "must be a BCP 47 language tag such as en or pt-BR")
        return None
    return value


def _shortened(name: str) -> str:
    """An unknown member name as echoed in an error: a huge key must not make a huge answer."""
    return name if len(name) <= MAX_ECHOED_NAME else name[:MAX_ECHOED_NAME] + "..."
