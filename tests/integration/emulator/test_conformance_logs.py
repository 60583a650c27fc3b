"""Logs: function output plus START/END/REPORT in /aws/lambda/<fn>, and the stage's access log entry."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from tests.integration.emulator.conftest import Emulator
from tests.support.waits import wait_for

STREAM_NAME = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")


def events_in(emulator: Emulator, group: str) -> list[dict[str, Any]]:
    logs = emulator.aws("logs")
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"logGroupName": group}
    while True:
        page = logs.filter_log_events(**kwargs)
        found.extend(page["events"])
        if not page.get("nextToken"):
            return found
        kwargs["nextToken"] = page["nextToken"]


def test_function_output_and_start_end_report_lines_reach_cloudwatch_logs(emulator: Emulator) -> None:
    marker = uuid.uuid4().hex
    response = emulator.request("GET", f"/log?marker={marker}")
    assert response.status_code == 200, response.text
    request_id = response.text
    group = f"/aws/lambda/{emulator.outputs['function_names']['log']}"

    def complete() -> list[dict[str, Any]] | None:
        events = [
            e for e in events_in(emulator, group) if request_id in e["message"] or marker in e["message"]
        ]
        return events if any(e["message"].startswith("REPORT") for e in events) and len(events) >= 5 else None

    events = wait_for(complete, timeout=30, interval=0.5, what=f"log lines of {request_id} in {group}")
    messages = [e["message"] for e in events]

    assert any(m.startswith(f"START RequestId: {request_id} Version: $LATEST") for m in messages), messages
    assert any(m.startswith(f"END RequestId: {request_id}") for m in messages), messages
    (report,) = [m for m in messages if m.startswith("REPORT")]
    assert re.match(
        rf"REPORT RequestId: {request_id}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 256 MB\tMax Memory Used: \d+ MB",
        report,
    ), report
    assert any(f"conformance-log: hello on stdout {marker}" in m for m in messages), messages
    assert any(f"conformance-log: hello on stderr {marker}" in m for m in messages), messages
    streams = {e["logStreamName"] for e in events}
    assert len(streams) == 1 and STREAM_NAME.match(streams.pop()), streams


def test_each_request_leaves_an_access_log_entry_in_the_stage_log_group(emulator: Emulator) -> None:
    response = emulator.request("GET", "/pets/dog")
    request_id = response.headers["apigw-requestid"]
    group = emulator.outputs["access_log_group"]

    def entry() -> dict[str, Any] | None:
        for event in events_in(emulator, group):
            try:
                record = json.loads(event["message"])
            except ValueError:
                continue
            if record.get("requestId") == request_id:
                return dict(record)
        return None

    record = wait_for(entry, timeout=30, interval=0.5, what=f"access log entry {request_id} in {group}")

    assert record["routeKey"] == "GET /pets/dog"
    assert record["status"] == "200"
    assert record["httpMethod"] == "GET"
    assert record["path"] == "/pets/dog"
    assert record["protocol"] == "HTTP/1.1"
    assert int(record["responseLength"]) == len(response.content)
