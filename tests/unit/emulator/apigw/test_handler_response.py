"""Respond step: AWS's payload format 2.0 response mapping."""

from __future__ import annotations

import base64
import json

import pytest

from emulator.apigw.errors import IntegrationError
from emulator.apigw.response import MapResponse
from emulator.apigw.response_v2 import map_response
from tests.unit.emulator.apigw.fakes import context, run


def mapped(document: object) -> tuple[int, dict[str, list[str]], bytes]:
    status, headers, body = map_response(json.dumps(document).encode())
    grouped: dict[str, list[str]] = {}
    for name, value in headers.items():
        grouped.setdefault(name.lower(), []).append(value)
    return status, grouped, body


def test_structured_response_maps_status_headers_and_body() -> None:
    status, headers, body = mapped(
        {"statusCode": 201, "headers": {"Location": "/books/1"}, "body": "created"}
    )
    assert status == 201 and headers["location"] == ["/books/1"] and body == b"created"


def test_cookies_become_set_cookie_headers() -> None:
    _, headers, _ = mapped({"statusCode": 200, "cookies": ["a=1; Path=/", "b=2"], "body": ""})
    assert headers["set-cookie"] == ["a=1; Path=/", "b=2"]


def test_multi_value_headers_are_added() -> None:
    _, headers, _ = mapped({"statusCode": 200, "multiValueHeaders": {"X-A": ["1", "2"]}})
    assert headers["x-a"] == ["1", "2"]


def test_base64_body_is_decoded() -> None:
    raw = b"\x00\xffbinary"
    _, _, body = mapped({"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(raw).decode()})
    assert body == raw


def test_object_without_status_code_is_a_200_json_body() -> None:
    status, headers, body = mapped({"message": "Hello from Lambda!"})
    assert status == 200 and headers["content-type"] == ["application/json"]
    assert json.loads(body) == {"message": "Hello from Lambda!"}


def test_json_string_is_sent_as_the_string() -> None:
    status, _, body = mapped("Hello from Lambda!")
    assert status == 200 and body == b"Hello from Lambda!"


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"statusCode": "200"}',
        b'{"statusCode": 99}',
        b'{"statusCode": 200, "body": {"a": 1}}',
        b'{"statusCode": 200, "isBase64Encoded": true, "body": "***"}',
        b'{"statusCode": 200, "headers": ["x"]}',
        b'{"statusCode": 200, "cookies": "a=1"}',
    ],
)
def test_malformed_responses_are_500(payload: bytes) -> None:
    with pytest.raises(IntegrationError) as raised:
        map_response(payload)
    assert raised.value.status == 500


def test_step_builds_the_response_and_records_errors() -> None:
    ctx = context(function_payload=b'{"statusCode": 204}')
    run(MapResponse()(ctx))
    assert ctx["response"].status == 204
    bad = context(function_payload=b"nope")
    with pytest.raises(IntegrationError):
        run(MapResponse()(bad))
    assert bad["integration_error"] == "Lambda response is not valid JSON"
