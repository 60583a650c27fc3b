"""A stream mapping acts with its function's role: it reads the stream and sends to its DLQ signed with it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from emulator.config import Settings
from emulator.event_sources.manager import EventSourceManager
from emulator.invocation import InvocationResult, InvocationStatus

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:projector"
STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/events/stream/2026"
DLQ = "arn:aws:sqs:us-east-1:123456789012:projector-dlq"
RECORD = {
    "eventID": "1",
    "eventName": "INSERT",
    "dynamodb": {"Keys": {}, "SequenceNumber": "1", "SizeBytes": 1},
}


class FakeAws:
    """Every call, with the identity of the client that made it."""

    def __init__(self, identity: str, calls: list[tuple[str, str]]) -> None:
        self.identity, self.calls = identity, calls
        self.meta = SimpleNamespace(endpoint_url="http://127.0.0.1:4566")

    def __getattr__(self, operation: str) -> Callable[..., dict[str, Any]]:
        def call(**kwargs: Any) -> dict[str, Any]:
            self.calls.append((self.identity, operation))
            if operation == "send_message":
                assert kwargs["QueueUrl"] == "http://127.0.0.1:4566/123456789012/projector-dlq"
            return RESPONSES[operation]

        return call


RESPONSES: dict[str, dict[str, Any]] = {
    "get_paginator": {},
    "describe_stream": {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}},
    "get_shard_iterator": {"ShardIterator": f"{STREAM}|1|it"},
    "get_records": {"Records": [RECORD], "NextShardIterator": f"{STREAM}|1|it2"},
    "send_message": {},
}


class FakeLambda:
    def get_paginator(self, _name: str) -> Any:
        mapping = {
            "UUID": "m-1",
            "FunctionArn": FUNCTION,
            "EventSourceArn": STREAM,
            "State": "Enabled",
            "StartingPosition": "TRIM_HORIZON",
            "MaximumRetryAttempts": 0,
            "DestinationConfig": {"OnFailure": {"Destination": DLQ}},
        }

        class Pages:
            def paginate(self) -> list[dict[str, Any]]:
                return [{"EventSourceMappings": [mapping]}]

        return Pages()


class FailingFunction:
    async def invoke(self, function: str, payload: bytes) -> InvocationResult:
        assert function == FUNCTION and json.loads(payload)["Records"]
        return InvocationResult(InvocationStatus.FUNCTION_ERROR, b'{"errorType":"X"}', "req-1", "Unhandled")


@pytest.mark.parametrize(
    ("with_role", "identity"),
    [(True, "role-session-of-projector"), (False, "static-keys")],
    ids=["iam on: the function's role", "iam off: the static keys"],
)
def test_a_mapping_reads_its_stream_and_sends_to_its_dlq_as(with_role: bool, identity: str) -> None:
    calls: list[tuple[str, str]] = []

    def static(service: str) -> Any:
        return FakeLambda() if service == "lambda" else FakeAws("static-keys", calls)

    async def role_clients(function_arn: str) -> Callable[[str], Any]:
        return lambda service: FakeAws(f"role-session-of-{function_arn.rsplit(':', 1)[-1]}", calls)

    async def scenario() -> None:
        manager = EventSourceManager(
            Settings(), FailingFunction(), static, role_clients if with_role else None
        )
        await manager.sync()
        await wait_for_call("send_message", calls, timeout=5.0)
        await manager.stop()

    asyncio.run(scenario())
    assert [op for _, op in calls][:4] == [
        "describe_stream",
        "get_shard_iterator",
        "get_records",
        "send_message",
    ]
    assert {who for who, _ in calls} == {identity}


async def wait_for_call(operation: str, calls: list[tuple[str, str]], timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not any(op == operation for _, op in calls):
        assert asyncio.get_running_loop().time() < deadline, f"no {operation} within {timeout}s: {calls}"
        await asyncio.sleep(0.01)
