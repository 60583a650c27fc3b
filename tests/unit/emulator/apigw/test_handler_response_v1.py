"""Respond step, payload format 1.0: the proxy response shape only, nothing inferred, multiValueHeaders win."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from emulator.apigw.errors import IntegrationError
from emulator.apigw.response import MapResponse
from emulator.apigw.response_v1 import map_response
from tests.unit.emulator.apigw.fakes import context, run


def mapped(document: object) -> tuple[int, dict[str, list[str]], bytes]:
    status, headers, body = map_response(json.dumps(document).encode())
    grouped: dict[str, list[str]] = {}
    for name, value in headers.items():
        grouped.setdefault(name.lower(), []).append(value)
    return status, grouped, body


def test_proxy_response_maps_status_headers_and_body() -> None:
    status, headers, body = mapped(
        {"statusCode": 201, "headers": {"Location": "/books/1"}, "body": "created"}
    )

    assert status == 201 and headers["location"] == ["/books/1"] and body == b"created"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}}, {"set-cookie": ["a=1", "b=2"]}),
        ({"headers": {"X-A": "h"}, "multiValueHeaders": {"X-B": ["m"]}}, {"x-a": ["h"], "x-b": ["m"]}),
        ({"headers": {"X-A": "h"}, "multiValueHeaders": {"x-a": ["m1", "m2"]}}, {"x-a": ["m1", "m2"]}),
        ({"headers": {"X-N": 5, "X-B": True}}, {"x-n": ["5"], "x-b": ["true"]}),
    ],
    ids=["multi-value", "both maps merged", "multiValueHeaders win on the same name", "scalars"],
)
def test_headers_and_multi_value_headers_merge(
    document: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    _, headers, _ = mapped({"statusCode": 200, **document})

    assert {k: v for k, v in headers.items() if k != "content-type"} == expected


def test_base64_body_is_decoded() -> None:
    raw = b"\x00\xffbinary"
    _, _, body = mapped({"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(raw).decode()})

    assert body == raw


def test_cookies_mean_nothing_in_1_0() -> None:
    _, headers, _ = mapped({"statusCode": 200, "cookies": ["a=1"], "body": ""})

    assert "set-cookie" not in headers


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'"Hello from Lambda!"',
        b"[1, 2]",
        b'{"message": "no statusCode"}',
        b'{"statusCode": "200"}',
        b'{"statusCode": 99}',
        b'{"statusCode": 200, "body": {"a": 1}}',
        b'{"statusCode": 200, "isBase64Encoded": true, "body": "***"}',
        b'{"statusCode": 200, "headers": ["x"]}',
        b'{"statusCode": 200, "multiValueHeaders": {"X-A": "not a list"}}',
    ],
    ids=[
        "not json",
        "bare string",
        "list",
        "object without statusCode",
        "string statusCode",
        "statusCode out of range",
        "non-string body",
        "bad base64",
        "headers not an object",
        "multi-value header not a list",
    ],
)
def test_anything_but_the_proxy_shape_is_500(payload: bytes) -> None:
    with pytest.raises(IntegrationError) as raised:
        map_response(payload)

    assert raised.value.status == 500
    assert raised.value.body() == b'{"message":"Internal Server Error"}'


@pytest.mark.parametrize(
    ("version", "status"), [("1.0", None), ("2.0", 200)], ids=["1.0 refuses", "2.0 infers"]
)
def test_the_step_maps_with_the_integration_payload_format(version: str, status: int | None) -> None:
    ctx = context(function_payload=b'{"message": "hi"}', payload_format=version)
    if status is None:
        with pytest.raises(IntegrationError):
            run(MapResponse()(ctx))
        assert "statusCode" in ctx["integration_error"]
    else:
        run(MapResponse()(ctx))
        assert ctx["response"].status == status
