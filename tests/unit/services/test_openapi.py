"""services/openapi.yaml is a valid OpenAPI 3.1 document and agrees with the code on the details."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from books.domain.model import CLIENT_FIELDS, SERVER_FIELDS
from books.views import DEFAULT_LIMIT, MAX_LIMIT
from openapi_spec_validator import validate

SPEC = Path(__file__).resolve().parents[3] / "services" / "openapi.yaml"


def document() -> dict[str, Any]:
    return dict(yaml.safe_load(SPEC.read_text()))


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
