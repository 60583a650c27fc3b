"""Payload format 1.0 event: AWS's REST-compatible shape, multi-value fields, nulls, and the integration step."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from emulator.apigw.errors import IntegrationError
from emulator.apigw.event_v1 import build_event
from emulator.apigw.integration import InvokeIntegration
from emulator.apigw.model import Stage
from tests.unit.emulator.apigw.fakes import FakeInvoker, api, context, route, run


def ctx_for(method: str, path: str, route_key: str, **kwargs: Any) -> Any:
    the_api = kwargs.pop("the_api", None) or api(route(route_key), payload_format="1.0")
    return context(method, path, the_api=the_api, route=the_api.routes.routes[0], **kwargs)


def with_headers(ctx: Any, pairs: list[tuple[str, str]]) -> Any:
    ctx["request"] = make_mocked_request(ctx["method"], ctx["raw_path"], headers=CIMultiDict(pairs))
    return ctx


def test_event_has_aws_1_0_shape() -> None:
    ctx = ctx_for(
        "GET",
        "/books/42?tag=a&tag=b&q=x%20y",
        "GET /books/{id}",
        headers={"User-Agent": "curl/8", "Cookie": "a=1"},
        path_parameters={"id": "42"},
    )
    event = build_event(ctx)

    assert list(event) == [
        "version",
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "requestContext",
        "pathParameters",
        "stageVariables",
        "body",
        "isBase64Encoded",
    ]
    assert event["version"] == "1.0"
    assert event["resource"] == "/books/{id}"
    assert event["path"] == "/books/42"
    assert event["httpMethod"] == "GET"
    assert event["queryStringParameters"] == {"tag": "b", "q": "x y"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["x y"]}
    assert event["headers"]["Cookie"] == "a=1"
    assert event["pathParameters"] == {"id": "42"}
    assert event["stageVariables"] is None and event["body"] is None
    assert event["isBase64Encoded"] is False
    rc = event["requestContext"]
    assert rc["accountId"] == "123456789012" and rc["apiId"] == "abc123"
    assert rc["domainName"] == "127.0.0.1" and rc["domainPrefix"] == "127"
    assert rc["extendedRequestId"] == rc["requestId"] == "Mc7UVioPPHcEKPA="
    assert rc["httpMethod"] == "GET" and rc["path"] == "/books/42" and rc["protocol"] == "HTTP/1.1"
    assert rc["requestTime"] == "04/Mar/2020:19:03:58 +0000" and rc["requestTimeEpoch"] == 1583348638390
    assert rc["resourceId"] == "GET /books/{id}" and rc["resourcePath"] == "/books/{id}"
    assert rc["stage"] == "$default"
    assert rc["identity"]["sourceIp"] == "127.0.0.1" and rc["identity"]["userAgent"] == "curl/8"
    assert rc["identity"]["accessKey"] is None and rc["identity"]["userArn"] is None
    assert "authorizer" not in rc


@pytest.mark.parametrize(
    ("pairs", "single", "multi"),
    [
        ([("X-A", "1")], {"X-A": "1"}, {"X-A": ["1"]}),
        ([("X-A", "1"), ("X-A", "2")], {"X-A": "2"}, {"X-A": ["1", "2"]}),
        ([("X-A", "1"), ("x-a", "2")], {"X-A": "2"}, {"X-A": ["1", "2"]}),
        ([("accept", "*/*")], {"accept": "*/*"}, {"accept": ["*/*"]}),
    ],
    ids=["single", "repeated: last wins", "case-insensitive grouping", "spelling kept"],
)
def test_headers_keep_the_last_value_and_multi_value_headers_keep_all(
    pairs: list[tuple[str, str]], single: dict[str, str], multi: dict[str, list[str]]
) -> None:
    event = build_event(with_headers(ctx_for("GET", "/x", "GET /x"), pairs))
    added = {"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port"}

    assert {k: v for k, v in event["headers"].items() if k not in added} == single
    assert {k: v for k, v in event["multiValueHeaders"].items() if k not in added} == multi


@pytest.mark.parametrize(
    ("sent", "expected"),
    [([], "127.0.0.1"), ([("x-forwarded-for", "203.0.113.9")], "203.0.113.9, 127.0.0.1")],
    ids=["added", "appended"],
)
def test_x_forwarded_for_carries_the_client(sent: list[tuple[str, str]], expected: str) -> None:
    event = build_event(with_headers(ctx_for("GET", "/x", "GET /x"), sent))

    forwarded = {k: v for k, v in event["multiValueHeaders"].items() if k.lower() == "x-forwarded-for"}
    assert list(forwarded.values()) == [[expected]]
    assert event["headers"]["X-Forwarded-Proto"] == "http"


@pytest.mark.parametrize(
    ("content_type", "body", "expected", "binary"),
    [
        ("application/json", b'{"a":1}', '{"a":1}', False),
        ("image/png", b"\x89PNG", base64.b64encode(b"\x89PNG").decode(), True),
        ("text/plain", b"\xff\xfe", base64.b64encode(b"\xff\xfe").decode(), True),
    ],
    ids=["text", "binary type", "not utf-8"],
)
def test_body_is_text_or_base64(content_type: str, body: bytes, expected: str, binary: bool) -> None:
    event = build_event(ctx_for("POST", "/x", "POST /x", headers={"Content-Type": content_type}, body=body))

    assert event["body"] == expected and event["isBase64Encoded"] is binary


def test_default_route_is_named_default_everywhere() -> None:
    event = build_event(ctx_for("GET", "/anything", "$default"))

    assert event["resource"] == "$default"
    assert event["requestContext"]["resourceId"] == "$default"
    assert event["requestContext"]["resourcePath"] == "$default"


def test_stage_variables_and_jwt_claims_are_included() -> None:
    the_api = api(
        route("GET /x"),
        stages={"$default": Stage("$default", variables={"env": "local"})},
        payload_format="1.0",
    )
    ctx = ctx_for("GET", "/x", "GET /x", the_api=the_api, principal={"claims": {"sub": "u"}, "scopes": None})
    event = build_event(ctx)

    assert event["stageVariables"] == {"env": "local"}
    assert event["requestContext"]["authorizer"] == {"claims": {"sub": "u"}, "scopes": None}


@pytest.mark.parametrize(("version", "shape_key"), [("1.0", "httpMethod"), ("2.0", "routeKey")])
def test_the_integration_sends_the_event_of_its_payload_format(version: str, shape_key: str) -> None:
    invoker = FakeInvoker()
    the_api = api(route("GET /x"), payload_format=version)
    ctx = context("GET", "/x", the_api=the_api, route=the_api.routes.routes[0])
    run(InvokeIntegration(invoker)(ctx))

    sent = invoker.calls[0][1]
    assert sent["version"] == version and shape_key in sent
    assert ctx["payload_format"] == version


@pytest.mark.parametrize("version", ["", "3.0", "1"])
def test_an_unknown_payload_format_is_500_and_the_function_is_not_called(version: str) -> None:
    invoker = FakeInvoker()
    the_api = api(route("GET /x"), payload_format=version)
    ctx = context("GET", "/x", the_api=the_api, route=the_api.routes.routes[0])
    with pytest.raises(IntegrationError):
        run(InvokeIntegration(invoker)(ctx))

    assert invoker.calls == []
    assert "payload format" in ctx["integration_error"]
