"""Route precedence and the payload format 2.0 event, as AWS documents them (echo returns the event)."""

from __future__ import annotations

import base64
import http.client
import json
import re
import time
from typing import Any

import pytest

from tests.integration.emulator.conftest import Emulator, IdpProcess


def event_of(emulator: Emulator, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = emulator.request(method, path, **kwargs)
    assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
    return dict(response.json())


# AWS's own example (http-api-develop-routes, "Routing API requests"), plus ANY and $default cases.
PRECEDENCE = [
    ("GET", "/pets/dog/1", "GET /pets/dog/1"),
    ("GET", "/pets/dog/2", "GET /pets/dog/{id}"),
    ("GET", "/pets/dog", "GET /pets/dog"),
    ("GET", "/pets/cat", "GET /pets/{name}"),
    ("GET", "/pets/cat/1", "GET /pets/{proxy+}"),
    ("POST", "/pets/dog/1", "ANY /{proxy+}"),
    ("GET", "/pets/cat/x", "ANY /pets/{name}/x"),
    ("DELETE", "/things", "ANY /things"),
    ("GET", "/hello", "ANY /{proxy+}"),
    ("GET", "/", "$default"),
]


@pytest.mark.parametrize(
    ("method", "path", "route_key"), PRECEDENCE, ids=[f"{m} {p}" for m, p, _ in PRECEDENCE]
)
def test_the_most_specific_route_wins(emulator: Emulator, method: str, path: str, route_key: str) -> None:
    event = event_of(emulator, method, path)

    assert event["routeKey"] == route_key
    assert event["requestContext"]["routeKey"] == route_key


@pytest.mark.parametrize(
    ("path", "parameters"),
    [("/pets/dog/2", {"id": "2"}), ("/pets/cat", {"name": "cat"}), ("/pets/cat/1/2", {"proxy": "cat/1/2"})],
)
def test_path_parameters_are_named_by_the_route(
    emulator: Emulator, path: str, parameters: dict[str, str]
) -> None:
    assert event_of(emulator, "GET", path)["pathParameters"] == parameters


def test_route_without_variables_has_no_path_parameters(emulator: Emulator) -> None:
    assert "pathParameters" not in event_of(emulator, "GET", "/pets/dog")


def raw_request(
    emulator: Emulator, method: str, path: str, headers: list[tuple[str, str]], body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """http.client, because requests cannot send the same header twice."""
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True)
        connection.putheader("Host", str(emulator.http.headers["Host"]))
        for name, value in headers:
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_event_carries_the_request_as_format_2_0(emulator: Emulator) -> None:
    before_ms = int(time.time() * 1000)
    status, headers, body = raw_request(
        emulator,
        "GET",
        "/things?a=1&a=2&b=3",
        [
            ("X-Multi", "one"),
            ("X-Multi", "two"),
            ("X-Custom-Header", "Value"),
            ("Cookie", "c1=v1; c2=v2"),
            ("User-Agent", "conformance/1.0"),
        ],
    )
    assert status == 200, body
    event = json.loads(body)
    context = event["requestContext"]
    host = str(emulator.http.headers["Host"])

    assert event["version"] == "2.0"
    assert event["rawPath"] == "/things"
    assert event["rawQueryString"] == "a=1&a=2&b=3"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "3"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-multi"] == "one,two"
    assert event["headers"]["x-custom-header"] == "Value"
    assert all(name == name.lower() for name in event["headers"])
    assert "cookie" not in event["headers"]
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    assert context["apiId"] == emulator.outputs["api_id"]
    assert context["accountId"] == "123456789012"
    assert context["domainName"] == host.rsplit(":", 1)[0]
    assert context["domainPrefix"] == emulator.outputs["api_id"]
    assert context["stage"] == "$default"
    assert context["http"] == {
        "method": "GET",
        "path": "/things",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "conformance/1.0",
    }
    assert context["requestId"] == headers["apigw-requestid"]
    assert re.fullmatch(r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000", context["time"])
    assert before_ms <= context["timeEpoch"] <= int(time.time() * 1000)
    assert "authorizer" not in context


def test_binary_body_is_base64_encoded(emulator: Emulator) -> None:
    payload = bytes(range(256))

    event = event_of(
        emulator, "POST", "/things", data=payload, headers={"Content-Type": "application/octet-stream"}
    )

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_text_body_is_passed_as_is(emulator: Emulator) -> None:
    event = event_of(
        emulator, "POST", "/things", data='{"title": "Dune"}', headers={"Content-Type": "application/json"}
    )

    assert event["isBase64Encoded"] is False
    assert event["body"] == '{"title": "Dune"}'


def test_jwt_claims_and_scopes_reach_the_event(emulator: Emulator, idp: IdpProcess) -> None:
    token = idp.token("books:write")

    event = event_of(emulator, "POST", "/private", headers={"Authorization": f"Bearer {token}"})

    jwt_context = event["requestContext"]["authorizer"]["jwt"]
    claims = jwt_context["claims"]
    assert claims["client_id"] == "local-writer"
    assert claims["iss"] == idp.issuer
    assert claims["aud"] == "books-api"
    assert claims["scope"] == "books:write"
    assert isinstance(claims["exp"], str) and claims["exp"].isdigit()
    assert jwt_context["scopes"] == ["books:write"]
