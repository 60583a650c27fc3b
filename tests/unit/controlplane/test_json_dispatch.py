"""The direct path answers what moto's Flask app answers, and leaves every other request to it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import EnvironBuilder, run_wsgi_app

from controlplane import json_dispatch

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, "
    "SignedHeaders=host;x-amz-target, Signature=00"
)
# Headers that differ between any two answers: a fresh request id, the clock.
VOLATILE = {"x-amzn-requestid", "x-amz-request-id", "date"}


def _environ(target: str, body: dict[str, Any], service: str, **extra: Any) -> dict[str, Any]:
    headers = {
        "X-Amz-Target": target,
        "Authorization": AUTH.format(service=service),
        **extra.pop("headers", {}),
    }
    return EnvironBuilder(
        method=extra.pop("method", "POST"),
        path=extra.pop("path", "/"),
        headers=headers,
        data=json.dumps(body),
        content_type="application/x-amz-json-1.1" if service == "logs" else "application/x-amz-json-1.0",
        base_url="http://127.0.0.1:4566",
    ).get_environ()


# (case, target, body, signing service): each request changes nothing, so both paths see the same state.
SERVED = [
    ("list tables", "DynamoDB_20120810.ListTables", {}, "dynamodb"),
    ("a missing table", "DynamoDB_20120810.DescribeTable", {"TableName": "none"}, "dynamodb"),
    (
        "get from a missing table",
        "DynamoDB_20120810.GetItem",
        {"TableName": "none", "Key": {"k": {"S": "x"}}},
        "dynamodb",
    ),
    ("list streams", "DynamoDBStreams_20120810.ListStreams", {}, "dynamodb"),
    ("describe log groups", "Logs_20140328.DescribeLogGroups", {}, "logs"),
    (
        "events of a missing group",
        "Logs_20140328.GetLogEvents",
        {"logGroupName": "g", "logStreamName": "s"},
        "logs",
    ),
]


def _answer(app: Any, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    body, status, headers = run_wsgi_app(app, environ)
    return status, {k.lower(): v for k, v in headers.items() if k.lower() not in VOLATILE}, b"".join(body)


@pytest.mark.parametrize(("case", "target", "body", "service"), SERVED, ids=[c[0] for c in SERVED])
def test_the_direct_answer_is_the_flask_apps(
    case: str, target: str, body: dict[str, Any], service: str
) -> None:
    dispatcher = DomainDispatcherApplication(create_backend_app)
    environ = _environ(target, body, service)
    dispatch = json_dispatch.handler_for(environ)
    assert dispatch is not None
    direct = _answer(lambda env, start: json_dispatch.serve(dispatch, env, start), environ)
    flask = _answer(
        dispatcher.get_application(_environ(target, body, service)), _environ(target, body, service)
    )
    assert direct[0] == flask[0] and direct[1] == flask[1]
    assert json.loads(direct[2]) == json.loads(flask[2])


# (case, environ changes): Flask keeps serving these.
NOT_DIRECT = [
    ("a GET", {"method": "GET"}),
    ("another path", {"path": "/2015-03-31/functions"}),
    ("a browser's CORS request", {"headers": {"Origin": "http://localhost:3000"}}),
]


@pytest.mark.parametrize(("case", "change"), NOT_DIRECT, ids=[c[0] for c in NOT_DIRECT])
def test_other_requests_are_left_to_flask(case: str, change: dict[str, Any]) -> None:
    assert (
        json_dispatch.handler_for(_environ("DynamoDB_20120810.ListTables", {}, "dynamodb", **change)) is None
    )


@pytest.mark.parametrize("target", ["AmazonSQS.ListQueues", "TrentService.ListKeys", ""])
def test_other_services_are_left_to_flask(target: str) -> None:
    assert json_dispatch.handler_for(_environ(target, {}, "sqs")) is None


class _NoFlask(DomainDispatcherApplication):
    def get_application(self, environ: dict[str, Any]) -> Any:
        raise AssertionError(f"Flask asked for {environ.get('HTTP_X_AMZ_TARGET')}")


def test_the_installed_path_answers_without_the_flask_app() -> None:
    _NoFlask.__call__ = json_dispatch._direct(DomainDispatcherApplication.__call__)  # type: ignore[method-assign]
    app = _NoFlask(create_backend_app)
    status, _, body = _answer(app, _environ("DynamoDB_20120810.ListTables", {}, "dynamodb"))
    assert status == "200 OK" and "TableNames" in json.loads(body)
    with pytest.raises(AssertionError, match=r"Flask asked for AmazonSQS\.ListQueues"):
        _answer(app, _environ("AmazonSQS.ListQueues", {}, "sqs"))
