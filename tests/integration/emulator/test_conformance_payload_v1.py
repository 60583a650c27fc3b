"""Payload format 1.0 end to end: the REST-shaped event the function gets, and the strict response mapping."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from tests.integration.emulator.conftest import Emulator
from tests.integration.emulator.test_conformance_routing_and_event import raw_request


def event_of(emulator: Emulator, path: str, **kwargs: Any) -> dict[str, Any]:
    response = emulator.request("GET", path, **kwargs)
    assert response.status_code == 200, (
        f"{path}: {response.status_code} {response.text}\n{emulator.log_tail()}"
    )
    return dict(response.json())


def test_a_1_0_route_gets_the_1_0_event(emulator: Emulator) -> None:
    event = event_of(emulator, "/v1/pets/7?tag=a&tag=b", headers={"User-Agent": "conformance/1"})
    rc = event["requestContext"]

    assert event["version"] == "1.0"
    assert event["resource"] == "/v1/pets/{id}" and event["path"] == "/v1/pets/7"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "7"}
    assert event["queryStringParameters"] == {"tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["stageVariables"] is None and event["body"] is None and event["isBase64Encoded"] is False
    assert "routeKey" not in event and "rawPath" not in event
    assert rc["apiId"] == emulator.outputs["api_id"] and rc["stage"] == "$default"
    assert rc["resourceId"] == "GET /v1/pets/{id}" and rc["resourcePath"] == "/v1/pets/{id}"
    assert rc["httpMethod"] == "GET" and rc["path"] == "/v1/pets/7"
    assert rc["identity"]["sourceIp"] == "127.0.0.1" and rc["identity"]["userAgent"] == "conformance/1"
    assert rc["requestTimeEpoch"] > 0 and rc["extendedRequestId"] == rc["requestId"]


def test_a_greedy_1_0_route_names_its_resource(emulator: Emulator) -> None:
    event = event_of(emulator, "/v1/a/b")

    assert event["resource"] == "/v1/{proxy+}" and event["pathParameters"] == {"proxy": "a/b"}


def test_repeated_headers_are_in_multi_value_headers(emulator: Emulator) -> None:
    status, _, body = raw_request(emulator, "GET", "/v1/pets/1", [("X-Twice", "one"), ("X-Twice", "two")])
    event = json.loads(body)
    assert status == 200
    assert event["headers"]["X-Twice"] == "two"
    assert event["multiValueHeaders"]["X-Twice"] == ["one", "two"]


def respond_with(emulator: Emulator, value: Any) -> requests.Response:
    return emulator.request("POST", "/v1/respond", json={"return": value})


def test_the_proxy_response_sets_status_headers_and_body(emulator: Emulator) -> None:
    response = respond_with(
        emulator,
        {
            "statusCode": 201,
            "headers": {"X-Single": "s", "X-Both": "from headers"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-Both": ["m1", "m2"]},
            "body": "created",
        },
    )

    assert response.status_code == 201
    assert response.headers["x-single"] == "s"
    assert response.raw.headers.getlist("set-cookie") == ["a=1", "b=2"]
    assert response.raw.headers.getlist("x-both") == ["m1", "m2"]
    assert response.text == "created"


def test_a_base64_body_is_decoded(emulator: Emulator) -> None:
    payload = bytes(range(256))
    response = respond_with(
        emulator,
        {
            "statusCode": 200,
            "isBase64Encoded": True,
            "headers": {"content-type": "application/octet-stream"},
            "body": base64.b64encode(payload).decode(),
        },
    )

    assert response.status_code == 200 and response.content == payload


@pytest.mark.parametrize(
    "answer",
    [
        "Hello from Lambda!",
        {"message": "no statusCode"},
        [1, 2],
        {"statusCode": "teapot"},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "multiValueHeaders": {"X-A": "not a list"}},
    ],
    ids=[
        "bare string",
        "object without statusCode",
        "list",
        "bad statusCode",
        "non-string body",
        "bad multi",
    ],
)
def test_what_2_0_would_infer_is_a_500_on_1_0(emulator: Emulator, answer: Any) -> None:
    response = respond_with(emulator, answer)

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
