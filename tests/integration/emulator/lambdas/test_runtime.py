"""The real invoker with the subprocess executor and real awslambdaric, through the Invoke API (boto3)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.emulator.lambdas.conftest import EmulatorProcess, aws
from tests.support.processes import REPO_ROOT
from tests.support.waits import wait_for


def _invoke(
    emulator: EmulatorProcess, name: str, event: dict[str, Any], **kwargs: Any
) -> tuple[dict[str, Any], Any]:
    response = aws(emulator.lambda_url, "lambda").invoke(
        FunctionName=name, Payload=json.dumps(event).encode(), **kwargs
    )
    body = response["Payload"].read()
    return response, json.loads(body) if body else None


def test_warm_environment_is_reused_with_lambda_environment(
    emulator: EmulatorProcess, make_function: Callable[..., str]
) -> None:
    name = make_function("itest_handlers.echo")
    first, body1 = _invoke(emulator, name, {"n": 1})
    second, body2 = _invoke(emulator, f"arn:aws:lambda:us-east-1:123456789012:function:{name}", {"n": 2})
    assert first["StatusCode"] == second["StatusCode"] == 200
    assert "FunctionError" not in first and "FunctionError" not in second
    assert body2["event"] == {"n": 2}
    assert body1["pid"] == body2["pid"] and body2["calls"] == 2  # same warm process
    assert body2["function_arn"].endswith(f":function:{name}")
    assert 0 < body2["remaining_ms"] <= 5000
    env = body2["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["ITEST"] == "1"
    assert env["_HANDLER"] == "itest_handlers.echo"
    assert env["AWS_ENDPOINT_URL"] == emulator.control_plane
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert "ITEST_EMULATOR_ONLY_CANARY" not in env


def test_handler_exception_is_unhandled_function_error(
    emulator: EmulatorProcess, make_function: Callable[..., str]
) -> None:
    name = make_function("itest_handlers.echo")
    response, body = _invoke(emulator, name, {"raise": "bad input"})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "bad input"


def test_crash_is_a_function_error_and_the_next_call_gets_a_fresh_environment(
    emulator: EmulatorProcess, make_function: Callable[..., str]
) -> None:
    name = make_function("itest_handlers.echo")
    _, before = _invoke(emulator, name, {})
    response, body = _invoke(emulator, name, {"crash": True})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError" and "exit status 3" in body["errorMessage"]
    _, after = _invoke(emulator, name, {})
    assert after["pid"] != before["pid"] and after["calls"] == 1


def test_timeout_kills_the_environment(emulator: EmulatorProcess, make_function: Callable[..., str]) -> None:
    name = make_function("itest_handlers.echo", timeout=1)
    _, before = _invoke(emulator, name, {})
    started = time.monotonic()
    response, body = _invoke(emulator, name, {"sleep": 20})
    assert time.monotonic() - started < 10
    assert response["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
    _, after = _invoke(emulator, name, {})
    assert after["pid"] != before["pid"]


def test_import_error_is_an_init_function_error(
    emulator: EmulatorProcess, make_function: Callable[..., str]
) -> None:
    name = make_function("broken_import.handler")
    response, body = _invoke(emulator, name, {})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"


def test_unknown_function_is_resource_not_found(emulator: EmulatorProcess) -> None:
    client = aws(emulator.lambda_url, "lambda")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="itest-does-not-exist", Payload=b"{}")


def test_event_invocation_is_accepted_and_runs(
    emulator: EmulatorProcess, make_function: Callable[..., str]
) -> None:
    name = make_function("itest_handlers.echo")
    response, _ = _invoke(emulator, name, {"async": "yes"}, InvocationType="Event")
    assert response["StatusCode"] == 202
    wait_for(
        lambda: any('"async": "yes"' in m for m in _messages(emulator, name)),
        timeout=15,
        what="event run logged",
    )


def _messages(emulator: EmulatorProcess, name: str) -> list[str]:
    logs = aws(emulator.control_plane, "logs")
    try:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in events]


def test_output_and_start_end_report_reach_cloudwatch_logs(
    emulator: EmulatorProcess, make_function: Callable[..., str]
) -> None:
    name = make_function("itest_handlers.echo")
    _invoke(emulator, name, {"hello": "logs"})
    response, _ = _invoke(emulator, name, {"second": True})
    request_id = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]

    def complete() -> list[str] | None:
        messages = _messages(emulator, name)
        return messages if any(m.startswith(f"REPORT RequestId: {request_id}") for m in messages) else None

    messages = wait_for(complete, timeout=15, what="REPORT line in CloudWatch Logs")
    assert f"START RequestId: {request_id} Version: $LATEST" in messages
    assert f"END RequestId: {request_id}" in messages
    assert any('echo called with {"hello": "logs"}' in m for m in messages)
    reports = [m for m in messages if m.startswith("REPORT")]
    assert "Init Duration:" in reports[0] and "Init Duration:" not in reports[1]
    assert "\tMemory Size: 256 MB\t" in reports[0]
    streams = aws(emulator.control_plane, "logs").describe_log_streams(logGroupName=f"/aws/lambda/{name}")[
        "logStreams"
    ]
    assert streams and all(
        re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", s["logStreamName"]) for s in streams
    )

    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "emulator",
            "logs",
            name,
            "--since",
            "10m",
            "--control-plane",
            emulator.control_plane,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    assert f"REPORT RequestId: {request_id}" in cli.stdout


def test_configuration_change_cold_starts_the_new_configuration(
    emulator: EmulatorProcess, make_function: Callable[..., str]
) -> None:
    name = make_function("itest_handlers.echo", env={"VERSION": "one"})
    _, before = _invoke(emulator, name, {})
    assert before["env"]["VERSION"] == "one"
    aws(emulator.control_plane, "lambda").update_function_configuration(
        FunctionName=name, Environment={"Variables": {"VERSION": "two"}}
    )

    def new_version() -> dict[str, Any] | None:
        _, body = _invoke(emulator, name, {})
        return body if body["env"]["VERSION"] == "two" else None

    after = wait_for(new_version, timeout=10, interval=0.2, what="new configuration in use")
    assert after["pid"] != before["pid"]
