"""Validation of book fields: each rule, and every bad field reported at once."""

from __future__ import annotations

from typing import Any

import pytest
from books.domain.errors import InvalidRequest
from books.domain.validation import validate_fields

THIS_YEAR = 2025
VALID: dict[str, Any] = {
    "title": "  Dune ",
    "authors": ["Frank Herbert"],
    "isbn": "0-441-17271-7",
}


def errors_of(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidRequest) as caught:
        validate_fields(data, this_year=THIS_YEAR)
    return {e.field: e.message for e in caught.value.errors}


def test_minimal_book_is_normalised() -> None:
    fields = validate_fields(VALID, this_year=THIS_YEAR)
    assert fields.title == "Dune"
    assert fields.authors == ("Frank Herbert",)
    assert fields.isbn == "9780441172719"
    assert fields.to_dict() == {"title": "Dune", "authors": ["Frank Herbert"], "isbn": "9780441172719"}


def test_every_optional_field_is_kept() -> None:
    full = {
        **VALID,
        "subtitle": "Book One",
        "published_year": 1965,
        "language": "en-GB",
        "page_count": 412,
        "description": "Spice.",
        "tags": ["sf", "classic"],
    }
    assert validate_fields(full, this_year=THIS_YEAR).to_dict() == {
        **full,
        "title": "Dune",
        "isbn": "9780441172719",
    }


def test_null_optional_fields_count_as_absent() -> None:
    assert validate_fields({**VALID, "subtitle": None, "tags": None}, this_year=THIS_YEAR).subtitle is None


def test_missing_required_fields_are_each_named() -> None:
    assert errors_of({}) == {"title": "is required", "authors": "is required", "isbn": "is required"}


def test_all_bad_fields_are_reported_together() -> None:
    bad = {"title": "", "authors": [], "isbn": "9780441172710", "published_year": 1200}
    assert set(errors_of(bad)) == {"title", "authors", "isbn", "published_year"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", 42, "must be a string"),
        ("title", "   ", "must not be blank"),
        ("title", "x" * 301, "at most 300 characters"),
        ("subtitle", ["x"], "must be a string"),
        ("authors", "Frank Herbert", "must be a list of strings"),
        ("authors", [], "must not be empty"),
        ("authors", [f"Author {i}" for i in range(51)], "at most 50 entries"),
        ("authors", ["Frank Herbert", "frank herbert"], "must not repeat"),
        ("isbn", 9780441172719, "must be a string"),
        ("isbn", "9780441172710", "check digit"),
        ("published_year", 1449, "between 1450 and 2026"),
        ("published_year", 2027, "between 1450 and 2026"),
        ("published_year", "1965", "must be an integer"),
        ("published_year", 1965.0, "must be an integer"),
        ("published_year", True, "must be an integer"),
        ("language", "english!", "BCP 47"),
        ("language", "e", "BCP 47"),
        ("language", 7, "BCP 47"),
        ("page_count", 0, "between 1 and 100000"),
        ("page_count", -3, "between 1 and 100000"),
        ("description", "x" * 10_001, "at most 10000 characters"),
        ("tags", "sf", "must be a list of strings"),
        ("tags", ["sf", "SF"], "must not repeat"),
    ],
)
def test_each_rule_names_the_bad_field(field: str, value: Any, message: str) -> None:
    errors = errors_of({**VALID, field: value})
    assert message in errors[field], errors


def test_errors_inside_lists_name_the_entry() -> None:
    assert errors_of({**VALID, "authors": ["Frank Herbert", 7]}) == {"authors[1]": "must be a string"}
    assert errors_of({**VALID, "tags": ["ok", " "]}) == {"tags[1]": "must not be blank"}
    assert errors_of({**VALID, "tags": ["x" * 51]}) == {"tags[0]": "must be at most 50 characters"}


def test_unknown_fields_are_rejected() -> None:
    assert errors_of({**VALID, "colour": "blue"}) == {"colour": "is not a field of a book"}


@pytest.mark.parametrize("field", ["id", "version", "created_at", "updated_at", "created_by"])
def test_server_fields_are_read_only(field: str) -> None:
    assert errors_of({**VALID, field: "x"}) == {field: "is read-only: the server sets it"}


@pytest.mark.parametrize("tag", ["en", "pt-BR", "zh-Hant-TW", "es-419", "de-CH-1996", "x-klingon", "sr-Latn"])
def test_bcp47_language_tags_are_accepted(tag: str) -> None:
    assert validate_fields({**VALID, "language": tag}, this_year=THIS_YEAR).language == tag


def test_published_year_may_be_next_year() -> None:
    assert (
        validate_fields({**VALID, "published_year": THIS_YEAR + 1}, this_year=THIS_YEAR).published_year
        == 2026
    )
    assert validate_fields({**VALID, "published_year": 1450}, this_year=THIS_YEAR).published_year == 1450
