"""The whole chain through create_gateway_app, served by aiohttp's test server with fakes around it."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from emulator.apigw.api_registry import ApiRegistry
from emulator.apigw.lambda_permission import LambdaPolicy
from emulator.apigw.model import Stage
from emulator.config import Settings
from emulator.gateway import create_gateway_app
from emulator.invocation import InvocationResult, InvocationStatus
from tests.unit.emulator.apigw.fakes import (
    FakeInvoker,
    FakeSink,
    Issuer,
    api,
    jwt_authorizer,
    route,
    run,
    snapshot,
)

STAGES = {
    "$default": Stage(
        "$default",
        access_log_group="/aws/apigateway/books",
        access_log_format="$context.requestId $context.status $context.routeKey",
    )
}


def serve(snap_factory, invoker: Any = None, sink: Any = None, issuer: Issuer | None = None):
    registry = ApiRegistry(Settings(refresh_seconds=3600), loader=snap_factory)
    app = create_gateway_app(
        Settings(),
        invoker or FakeInvoker(),
        sink or FakeSink(),
        registry=registry,
        fetcher=(issuer or Issuer()).fetch,
    )
    return TestClient(TestServer(app))


def books_api():
    return api(
        route("GET /books/{id}", auth="auth1", scopes=("books:read",)),
        route("POST /books", auth="auth1", scopes=("books:write",)),
        route("GET /health"),
        authorizers=(jwt_authorizer(),),
        stages=STAGES,
    )


def test_authorized_get_reaches_the_function_and_is_logged() -> None:
    issuer, sink, invoker = Issuer(), FakeSink(), FakeInvoker()

    async def scenario() -> None:
        async with serve(lambda: snapshot(books_api()), invoker, sink, issuer) as client:
            token = issuer.token(scope="books:read")
            response = await client.get("/books/7", headers={"Authorization": f"Bearer {token}"})
            assert response.status == 200
            request_id = response.headers["apigw-requestid"]
            event = (await response.json())["echo"]
            assert event["pathParameters"] == {"id": "7"}
            assert event["requestContext"]["requestId"] == request_id
            assert event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "user-1"
            assert "Server" not in response.headers
            assert sink.lines[-1][:3] == (
                "/aws/apigateway/books",
                sink.lines[-1][1],
                f"{request_id} 200 GET /books/{{id}}",
            )

    run(scenario())


def test_errors_have_aws_bodies_and_request_ids() -> None:
    issuer = Issuer()

    async def scenario() -> None:
        async with serve(lambda: snapshot(books_api()), issuer=issuer) as client:
            cases = [
                (await client.get("/nope"), 404, "Not Found"),
                (await client.get("/books/1"), 401, "Unauthorized"),
                (
                    await client.post("/books", headers={"Authorization": issuer.token(scope="books:read")}),
                    403,
                    "Forbidden",
                ),
            ]
            for response, status, message in cases:
                assert response.status == status
                assert await response.json() == {"message": message}
                assert response.headers["apigw-requestid"]
            assert "www-authenticate" in cases[1][0].headers

    run(scenario())


def test_function_error_and_missing_permission_are_500() -> None:
    async def crash(function: str, payload: bytes) -> InvocationResult:
        return InvocationResult(InvocationStatus.FUNCTION_ERROR, b'{"errorMessage":"boom"}', "r", "Unhandled")

    async def scenario() -> None:
        async with serve(lambda: snapshot(books_api()), FakeInvoker(respond=crash)) as client:
            response = await client.get("/health")
            assert response.status == 500
            assert await response.json() == {"message": "Internal Server Error"}
        async with serve(lambda: snapshot(books_api(), policy=LambdaPolicy())) as client:
            assert (await client.get("/health")).status == 500

    run(scenario())


def test_function_response_is_mapped() -> None:
    async def created(function: str, payload: bytes) -> InvocationResult:
        body = {"statusCode": 201, "headers": {"Location": "/books/1"}, "cookies": ["s=1"], "body": "{}"}
        return InvocationResult(InvocationStatus.OK, json.dumps(body).encode(), "r")

    async def scenario() -> None:
        async with serve(lambda: snapshot(books_api()), FakeInvoker(respond=created)) as client:
            response = await client.get("/health")
            assert response.status == 201
            assert response.headers["Location"] == "/books/1"
            assert response.headers.getall("Set-Cookie") == ["s=1"]

    run(scenario())


def test_body_over_10_mb_is_413() -> None:
    async def scenario() -> None:
        async with serve(lambda: snapshot(api(route("POST /upload")))) as client:
            response = await client.post("/upload", data=b"x" * (10 * 1024 * 1024 + 1))
            assert response.status == 413
            assert await response.json() == {"message": "Request Entity Too Large"}

    run(scenario())
