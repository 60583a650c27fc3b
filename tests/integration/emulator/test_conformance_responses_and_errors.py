"""Response mapping (format 2.0) and what API Gateway answers when the function fails, hangs or is not allowed."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from tests.integration.emulator.conftest import Emulator

INTERNAL = {"message": "Internal Server Error"}


def respond_with(emulator: Emulator, value: Any) -> requests.Response:
    return emulator.request("POST", "/respond", json={"return": value})


def test_dict_with_status_code_sets_status_headers_and_body(emulator: Emulator) -> None:
    response = respond_with(
        emulator,
        {"statusCode": 201, "headers": {"x-custom": "yes", "content-type": "text/plain"}, "body": "created"},
    )

    assert response.status_code == 201
    assert response.headers["x-custom"] == "yes"
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "created"


def test_each_cookie_becomes_a_set_cookie_header(emulator: Emulator) -> None:
    response = respond_with(
        emulator, {"statusCode": 200, "cookies": ["a=1", "b=2; Path=/; HttpOnly"], "body": ""}
    )

    assert response.status_code == 200
    assert response.raw.headers.getlist("set-cookie") == ["a=1", "b=2; Path=/; HttpOnly"]


def test_base64_body_is_decoded(emulator: Emulator) -> None:
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

    assert response.status_code == 200
    assert response.content == payload


def test_json_list_without_status_code_is_a_200_json_body(emulator: Emulator) -> None:
    response = respond_with(emulator, [1, 2, "three"])

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == [1, 2, "three"]


def test_object_without_status_code_is_a_200_json_body(emulator: Emulator) -> None:
    response = respond_with(emulator, {"message": "hi"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"message": "hi"}


def test_bare_string_is_the_body(emulator: Emulator) -> None:
    response = respond_with(emulator, "Hello from Lambda!")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.text == "Hello from Lambda!"


@pytest.mark.parametrize(
    "malformed",
    [
        {"statusCode": "teapot", "body": "x"},
        {"statusCode": 200, "isBase64Encoded": True, "body": "%%% not base64 %%%"},
        {"statusCode": 200, "body": {"not": "a string"}},
    ],
    ids=["non-numeric statusCode", "bad base64 body", "non-string body"],
)
def test_malformed_response_is_500(emulator: Emulator, malformed: dict[str, Any]) -> None:
    response = respond_with(emulator, malformed)

    assert response.status_code == 500
    assert response.json() == INTERNAL


def test_function_that_raises_is_500(emulator: Emulator) -> None:
    response = emulator.request("GET", "/crash")

    assert response.status_code == 500
    assert response.json() == INTERNAL


def test_function_that_kills_its_runtime_is_500_and_the_next_call_works(emulator: Emulator) -> None:
    killed = emulator.request("GET", "/exit")
    after = emulator.request("GET", "/pets/dog")

    assert killed.status_code == 500, f"{killed.text}\n{emulator.log_tail()}"
    assert killed.json() == INTERNAL
    assert after.status_code == 200


def test_integration_timeout_is_503_service_unavailable(emulator: Emulator) -> None:
    # Integration TimeoutInMillis 1000 with a function that would run 5 s (function timeout 20 s).
    response = emulator.request("GET", "/slow?seconds=5")

    assert response.status_code == 503, f"{response.text}\n{emulator.log_tail()}"
    assert response.json() == {"message": "Service Unavailable"}


def test_function_timeout_is_a_function_error_500(emulator: Emulator) -> None:
    # Function timeout 2 s, integration timeout 30 s: Lambda reports "Task timed out" as an Unhandled
    # function error, and HTTP APIs answer function errors with 500.
    response = emulator.request("GET", "/sleep?seconds=5")

    assert response.status_code == 500, f"{response.status_code} {response.text}"
    assert response.json() == INTERNAL


def test_function_without_an_invoke_permission_is_500(emulator: Emulator) -> None:
    response = emulator.request("GET", "/unpermitted")

    assert response.status_code == 500
    assert response.json() == INTERNAL


def test_route_throttling_answers_429(emulator: Emulator) -> None:
    # The route allows a burst of 1 at 1 request/s; six back-to-back requests must overflow it.
    responses = [emulator.request("GET", "/throttled") for _ in range(6)]
    statuses = [r.status_code for r in responses]
    limited = [r for r in responses if r.status_code == 429]

    assert statuses[0] == 200, statuses
    assert limited, statuses
    assert all(r.json() == {"message": "Too Many Requests"} for r in limited)
