"""Integrate step: payload format 2.0 event, Lambda permission, invocation outcomes and timeouts."""

from __future__ import annotations

import asyncio
import base64

import pytest

from emulator.apigw.errors import IntegrationError, IntegrationTimeout
from emulator.apigw.event_common import clf_time
from emulator.apigw.event_v2 import build_event
from emulator.apigw.integration import InvokeIntegration
from emulator.apigw.lambda_permission import LambdaPolicy
from emulator.apigw.model import Stage
from emulator.invocation import InvocationResult, InvocationStatus
from tests.unit.emulator.apigw.fakes import FUNCTION_ARN, FakeInvoker, api, context, route, run, snapshot


def ctx_for(method: str, path: str, route_key: str, **kwargs):
    the_api = kwargs.pop("the_api", None) or api(route(route_key))
    return context(method, path, the_api=the_api, route=the_api.routes.routes[0], **kwargs)


def test_event_has_aws_2_0_shape() -> None:
    ctx = ctx_for(
        "GET",
        "/books/42?tag=a&tag=b&q=x%20y",
        "GET /books/{id}",
        headers={"X-Multi": "1", "Cookie": "a=1; b=2", "User-Agent": "curl/8"},
        path_parameters={"id": "42"},
    )
    event = build_event(ctx)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /books/{id}"
    assert event["rawPath"] == "/books/42"
    assert event["rawQueryString"] == "tag=a&tag=b&q=x%20y"
    assert event["queryStringParameters"] == {"tag": "a,b", "q": "x y"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-multi"] == "1"
    assert event["pathParameters"] == {"id": "42"}
    assert event["isBase64Encoded"] is False
    assert "body" not in event and "stageVariables" not in event
    rc = event["requestContext"]
    assert rc["accountId"] == "123456789012" and rc["apiId"] == "abc123"
    assert rc["http"] == {
        "method": "GET",
        "path": "/books/42",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "curl/8",
    }
    assert rc["requestId"] == "Mc7UVioPPHcEKPA=" and rc["stage"] == "$default"
    assert rc["time"] == "04/Mar/2020:19:03:58 +0000" and rc["timeEpoch"] == 1583348638390
    assert rc["domainName"] == "127.0.0.1" and rc["domainPrefix"] == "127"
    assert "authorizer" not in rc


def test_repeated_headers_are_joined_with_commas() -> None:
    from aiohttp.test_utils import make_mocked_request
    from multidict import CIMultiDict

    ctx = ctx_for("GET", "/x", "GET /x")
    ctx["request"] = make_mocked_request("GET", "/x", headers=CIMultiDict([("Accept", "a"), ("accept", "b")]))
    assert build_event(ctx)["headers"]["accept"] == "a,b"


def test_text_body_is_passed_as_text_and_binary_as_base64() -> None:
    text = build_event(
        ctx_for("POST", "/x", "POST /x", headers={"Content-Type": "application/json"}, body=b'{"a":1}')
    )
    assert text["body"] == '{"a":1}' and text["isBase64Encoded"] is False
    binary = build_event(
        ctx_for("POST", "/x", "POST /x", headers={"Content-Type": "image/png"}, body=b"\x89PNG")
    )
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\x89PNG"


def test_stage_variables_and_jwt_claims_are_included() -> None:
    the_api = api(route("GET /x"), stages={"$default": Stage("$default", variables={"env": "local"})})
    ctx = ctx_for(
        "GET",
        "/x",
        "GET /x",
        the_api=the_api,
        principal={"claims": {"sub": "u", "exp": "123"}, "scopes": ["books:read"]},
    )
    event = build_event(ctx)
    assert event["stageVariables"] == {"env": "local"}
    assert event["requestContext"]["authorizer"] == {
        "jwt": {"claims": {"sub": "u", "exp": "123"}, "scopes": ["books:read"]}
    }


def test_clf_time_is_english_and_utc() -> None:
    assert clf_time(0) == "01/Jan/1970:00:00:00 +0000"


def test_invokes_the_function_arn_from_the_invoke_uri() -> None:
    invoker = FakeInvoker()
    ctx = ctx_for("GET", "/x", "GET /x")
    run(InvokeIntegration(invoker)(ctx))
    assert invoker.calls[0][0] == FUNCTION_ARN
    assert invoker.calls[0][1]["rawPath"] == "/x"
    assert ctx["integration_status"] == "200"
    assert b"statusCode" in ctx["function_payload"]


def test_missing_lambda_permission_is_500_and_function_is_not_called() -> None:
    invoker = FakeInvoker()
    the_api = api(route("GET /x"))
    ctx = ctx_for("GET", "/x", "GET /x", the_api=the_api, snapshot=snapshot(the_api, policy=LambdaPolicy()))
    with pytest.raises(IntegrationError) as raised:
        run(InvokeIntegration(invoker)(ctx))
    assert raised.value.status == 500
    assert raised.value.body() == b'{"message":"Internal Server Error"}'
    assert invoker.calls == []
    assert "permission" in ctx["integration_error"]


def result(status: InvocationStatus, payload: bytes = b"{}") -> FakeInvoker:
    async def respond(function: str, payload_in: bytes) -> InvocationResult:
        return InvocationResult(status, payload, "r")

    return FakeInvoker(respond=respond)


@pytest.mark.parametrize(
    "status", [InvocationStatus.FUNCTION_ERROR, InvocationStatus.NOT_FOUND, InvocationStatus.THROTTLED]
)
def test_failed_invocations_are_500(status: InvocationStatus) -> None:
    with pytest.raises(IntegrationError):
        run(InvokeIntegration(result(status, b'{"errorMessage":"boom"}'))(ctx_for("GET", "/x", "GET /x")))


def test_function_timeout_is_a_function_error_500() -> None:
    # Lambda reports its own timeout as an unhandled function error; only TimeoutInMillis is a 503.
    with pytest.raises(IntegrationError) as raised:
        run(InvokeIntegration(result(InvocationStatus.TIMEOUT))(ctx_for("GET", "/x", "GET /x")))
    assert raised.value.status == 500
    assert raised.value.body() == b'{"message":"Internal Server Error"}'


def test_integration_timeout_in_millis_is_enforced() -> None:
    async def slow(function: str, payload: bytes) -> InvocationResult:
        await asyncio.sleep(5)
        return InvocationResult(InvocationStatus.OK, b"{}", "r")

    the_api = api(route("GET /x"), timeout_ms=50)
    ctx = ctx_for("GET", "/x", "GET /x", the_api=the_api)
    with pytest.raises(IntegrationTimeout):
        run(InvokeIntegration(FakeInvoker(respond=slow))(ctx))
    assert ctx["integration_latency_ms"] < 2000
