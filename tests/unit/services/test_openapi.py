"""services/openapi.yaml is a valid OpenAPI 3.1 document and agrees with the code on the details."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from books.domain import validation as limits
from books.domain.model import CLIENT_FIELDS, SERVER_FIELDS
from books.views import DEFAULT_LIMIT, MAX_LIMIT
from openapi_spec_validator import validate

SPEC = Path(__file__).resolve().parents[3] / "services" / "openapi.yaml"


@cache
def _parsed() -> dict[str, Any]:
    return dict(yaml.safe_load(SPEC.read_text()))


def document() -> dict[str, Any]:
    return _parsed()


def test_document_is_valid_openapi_3_1() -> None:
    spec = document()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_book_schemas_list_the_fields_the_model_has() -> None:
    schemas = document()["components"]["schemas"]
    assert set(schemas["BookInput"]["properties"]) == set(CLIENT_FIELDS)
    assert set(schemas["BookPatch"]["properties"]) == set(CLIENT_FIELDS)
    assert set(schemas["Book"]["properties"]) == set(CLIENT_FIELDS) | set(SERVER_FIELDS)


def test_limit_bounds_match_the_views() -> None:
    [limit] = [
        p for p in document()["paths"]["/v1/catalog/books"]["get"]["parameters"] if p["name"] == "limit"
    ]
    assert limit["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_LIMIT,
        "default": DEFAULT_LIMIT,
    }


def _property(schema: str, name: str) -> dict[str, Any]:
    return dict(document()["components"]["schemas"][schema]["properties"][name])


@pytest.mark.parametrize("schema", ["BookInput", "BookPatch"])
@pytest.mark.parametrize(
    ("field", "path", "expected"),
    [
        ("title", ("maxLength",), limits.MAX_TITLE),
        ("title", ("pattern",), limits.NOT_BLANK_PATTERN),
        ("subtitle", ("maxLength",), limits.MAX_SUBTITLE),
        ("subtitle", ("minLength",), 1),
        ("subtitle", ("pattern",), limits.NOT_BLANK_PATTERN),
        ("authors", ("maxItems",), limits.MAX_AUTHORS),
        ("authors", ("items", "maxLength"), limits.MAX_AUTHOR),
        ("authors", ("items", "pattern"), limits.NOT_BLANK_PATTERN),
        ("isbn", ("minLength",), limits.MIN_ISBN_TEXT),
        ("isbn", ("maxLength",), limits.MAX_ISBN_TEXT),
        ("published_year", ("minimum",), limits.FIRST_PRINTED_YEAR),
        ("published_year", ("maximum",), limits.LAST_YEAR),
        ("language", ("maxLength",), limits.MAX_LANGUAGE),
        ("language", ("pattern",), f"^{limits.LANGUAGE_PATTERN}$"),
        ("page_count", ("minimum",), 1),
        ("page_count", ("maximum",), limits.MAX_PAGES),
        ("description", ("maxLength",), limits.MAX_DESCRIPTION),
        ("description", ("minLength",), 1),
        ("description", ("pattern",), limits.NOT_BLANK_PATTERN),
        ("tags", ("maxItems",), limits.MAX_TAGS),
        ("tags", ("items", "maxLength"), limits.MAX_TAG),
        ("tags", ("items", "pattern"), limits.NOT_BLANK_PATTERN),
    ],
)
def test_openapi_limits_are_the_validation_constants(
    schema: str, field: str, path: tuple[str, ...], expected: Any
) -> None:
    value: Any = _property(schema, field)
    for key in path:
        value = value[key]
    assert value == expected


@pytest.mark.parametrize("schema", ["BookInput", "BookPatch"])
@pytest.mark.parametrize("field", CLIENT_FIELDS)
def test_every_string_and_list_has_a_maximum(schema: str, field: str) -> None:
    prop = _property(schema, field)
    kinds = set(prop["type"]) if isinstance(prop["type"], list) else {prop["type"]}
    if "string" in kinds:
        assert "maxLength" in prop
    if "array" in kinds:
        assert "maxItems" in prop and "maxLength" in prop["items"]
    if "integer" in kinds:
        assert {"minimum", "maximum"} <= set(prop)
