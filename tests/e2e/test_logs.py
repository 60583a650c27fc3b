"""Each function's log group and the API's access log hold the lines of the requests we made."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.e2e.conftest import new_book
from tests.support.waits import wait_for

LOG_TIMEOUT = 20.0


def _messages(logs_client: Any, group: str) -> list[str]:
    messages: list[str] = []
    kwargs: dict[str, Any] = {"logGroupName": group}
    while True:
        page = logs_client.filter_log_events(**kwargs)
        messages += [event["message"] for event in page.get("events", [])]
        if not page.get("nextToken"):
            return messages
        kwargs["nextToken"] = page["nextToken"]


def _json_lines(messages: list[str]) -> list[dict[str, Any]]:
    parsed = []
    for message in messages:
        try:
            value = json.loads(message)
        except ValueError:
            continue
        if isinstance(value, dict):
            parsed.append(value)
    return parsed


def _wait_for_line(logs_client: Any, group: str, predicate: Any, what: str) -> list[str]:
    def probe() -> list[str] | None:
        messages = _messages(logs_client, group)
        return messages if any(predicate(line) for line in _json_lines(messages)) else None

    return wait_for(probe, timeout=LOG_TIMEOUT, interval=0.25, what=what)


@pytest.fixture(scope="module")
def created(api_url: str, write_token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {write_token}", "Content-Type": "application/json"}
    response = requests.post(f"{api_url}/v1/catalog/books", json=new_book(), headers=headers, timeout=15)
    assert response.status_code == 201, response.text
    return response


def test_command_log_group_holds_the_request_line(
    stack: dict[str, str], logs_client: Any, created: Any
) -> None:
    request_id = created.headers["apigw-requestid"]
    messages = _wait_for_line(
        logs_client,
        f"/aws/lambda/{stack['COMMAND_FUNCTION']}",
        lambda line: line.get("api_request_id") == request_id and line.get("status") == 201,
        "the command function's request log line",
    )
    assert any(m.startswith("START RequestId:") for m in messages)
    assert any(m.startswith("REPORT RequestId:") for m in messages)


def test_query_log_group_holds_the_request_line(
    stack: dict[str, str], logs_client: Any, api_url: str
) -> None:
    response = requests.get(f"{api_url}/v1/catalog/books", params={"limit": 1}, timeout=10)
    assert response.status_code == 200
    request_id = response.headers["apigw-requestid"]
    _wait_for_line(
        logs_client,
        f"/aws/lambda/{stack['QUERY_FUNCTION']}",
        lambda line: (
            line.get("api_request_id") == request_id and line.get("route") == "GET /v1/catalog/books"
        ),
        "the query function's request log line",
    )


def test_projector_log_group_holds_the_projected_book(
    stack: dict[str, str], logs_client: Any, created: Any
) -> None:
    book_id = created.json()["id"]
    _wait_for_line(
        logs_client,
        f"/aws/lambda/{stack['PROJECTOR_FUNCTION']}",
        lambda line: book_id in json.dumps(line),
        "the projector's line for the created book",
    )


def test_access_log_has_an_entry_for_the_request(
    stack: dict[str, str], logs_client: Any, created: Any
) -> None:
    request_id = created.headers["apigw-requestid"]
    _wait_for_line(
        logs_client,
        stack["ACCESS_LOG_GROUP"],
        lambda line: line.get("requestId") == request_id and str(line.get("status")) == "201",
        "the access log entry",
    )
