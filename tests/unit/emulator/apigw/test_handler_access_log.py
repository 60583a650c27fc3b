"""Access logs: $context variables substituted into the stage's format, written to its log group."""

from __future__ import annotations

import json

from emulator.apigw.access_log import AccessLogger, render, stream_name
from emulator.apigw.model import Stage
from tests.unit.emulator.apigw.fakes import FakeSink, api, context, route

FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "epoch": "$context.requestTimeEpoch",
        "httpMethod": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "path": "$context.path",
        "error": "$context.integrationErrorMessage",
        "authError": "$context.authorizer.error",
        "sub": "$context.authorizer.claims.sub",
        "unknown": "$context.somethingNew",
        "integrationLatency": "$context.integrationLatency",
    }
)


def logged_ctx(**extra):
    the_api = api(
        route("GET /books/{id}"),
        stages={
            "$default": Stage(
                "$default", access_log_group="/aws/apigateway/local-books-api", access_log_format=FORMAT
            )
        },
    )
    return context(
        "GET",
        "/books/1",
        the_api=the_api,
        route=the_api.routes.routes[0],
        status=200,
        response_length=17,
        integration_latency_ms=3,
        **extra,
    )


def test_variables_are_substituted_and_unknown_ones_become_dash() -> None:
    line = json.loads(render(FORMAT, logged_ctx(principal={"claims": {"sub": "user-1"}, "scopes": None})))
    assert line == {
        "requestId": "Mc7UVioPPHcEKPA=",
        "ip": "127.0.0.1",
        "requestTime": "04/Mar/2020:19:03:58 +0000",
        "epoch": "1583348638",
        "httpMethod": "GET",
        "routeKey": "GET /books/{id}",
        "status": "200",
        "protocol": "HTTP/1.1",
        "responseLength": "17",
        "path": "/books/1",
        "error": "-",
        "authError": "-",
        "sub": "user-1",
        "unknown": "-",
        "integrationLatency": "3",
    }


def test_clf_style_format_keeps_surrounding_text() -> None:
    text = render(
        '$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey"',
        logged_ctx(),
    )
    assert text == '127.0.0.1 - - [04/Mar/2020:19:03:58 +0000] "GET GET /books/{id}"'


def test_logger_writes_to_the_stage_log_group_with_a_daily_stream() -> None:
    sink = FakeSink()
    AccessLogger(sink).write(logged_ctx(integration_error="boom"))
    group, stream, message, timestamp = sink.lines[0]
    assert group == "/aws/apigateway/local-books-api"
    assert stream == stream_name("abc123", "$default", 1583348638390) == "abc123_$default_2020-03-04"
    assert json.loads(message)["error"] == "boom"
    assert timestamp == 1583348638390


def test_stage_without_access_logging_writes_nothing() -> None:
    sink = FakeSink()
    AccessLogger(sink).write(context())
    assert sink.lines == []
