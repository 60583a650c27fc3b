import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from emulator.logs.shipper import CloudWatchLogShipper
from emulator.logs.tail import format_event, parse_since


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "op")


class FakeLogsClient:
    """Keeps groups/streams/events like CloudWatch Logs; put fails on a missing group or stream."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.puts: list[tuple[str, str, int]] = []
        self.creates: list[str] = []

    def create_log_group(self, logGroupName: str) -> None:
        if logGroupName in self.groups:
            raise _error("ResourceAlreadyExistsException")
        self.creates.append(f"group:{logGroupName}")
        self.groups[logGroupName] = {}

    def create_log_stream(self, logGroupName: str, logStreamName: str) -> None:
        if logGroupName not in self.groups:
            raise _error("ResourceNotFoundException")
        if logStreamName in self.groups[logGroupName]:
            raise _error("ResourceAlreadyExistsException")
        self.creates.append(f"stream:{logStreamName}")
        self.groups[logGroupName][logStreamName] = []

    def put_log_events(
        self, logGroupName: str, logStreamName: str, logEvents: list[dict[str, Any]]
    ) -> dict[str, Any]:
        stream = self.groups.get(logGroupName, {}).get(logStreamName)
        if stream is None:
            raise _error("ResourceNotFoundException")
        assert [e["timestamp"] for e in logEvents] == sorted(e["timestamp"] for e in logEvents)
        self.puts.append((logGroupName, logStreamName, len(logEvents)))
        stream.extend(logEvents)
        return {}


def test_put_never_blocks_and_events_are_batched_per_stream() -> None:
    client = FakeLogsClient()
    client.groups["/aws/lambda/a"] = {"s1": []}
    shipper = CloudWatchLogShipper(lambda: client, flush_interval=0.2)
    for i in range(50):
        shipper.put("/aws/lambda/a", "s1", f"line {i}", 1000 + i)
    shipper.put("/aws/lambda/a", "s1", "early", 10)
    assert shipper.flush(5)
    shipper.close()
    assert len(client.puts) == 1  # one batch, not 51 calls
    messages = [e["message"] for e in client.groups["/aws/lambda/a"]["s1"]]
    assert messages[0] == "early" and messages[-1] == "line 49" and len(messages) == 51


def test_a_missing_stream_is_created_in_its_existing_group() -> None:
    client = FakeLogsClient()
    client.groups["/aws/lambda/new"] = {}
    shipper = CloudWatchLogShipper(lambda: client, flush_interval=0.01)
    shipper.put("/aws/lambda/new", "2024/01/01/[$LATEST]abc", "hello")
    assert shipper.flush(5)
    shipper.put("/aws/lambda/new", "2024/01/01/[$LATEST]def", "again")
    assert shipper.flush(5)
    shipper.close()
    assert client.creates == ["stream:2024/01/01/[$LATEST]abc", "stream:2024/01/01/[$LATEST]def"]
    assert client.groups["/aws/lambda/new"]["2024/01/01/[$LATEST]abc"][0]["message"] == "hello"
    assert shipper.dropped == 0


def test_events_for_a_missing_group_are_dropped_with_one_warning_and_the_group_is_not_created(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = FakeLogsClient()
    shipper = CloudWatchLogShipper(lambda: client, flush_interval=0.01)
    with caplog.at_level(logging.WARNING, logger="emulator.logs.shipper"):
        for i in range(3):
            shipper.put("/aws/lambda/gone", "s", f"line {i}")
            assert shipper.flush(5)
    assert client.groups == {} and client.creates == []  # Terraform's to create, not ours
    assert shipper.dropped == 3
    assert [r.getMessage() for r in caplog.records] == [
        "log group /aws/lambda/gone does not exist (Terraform creates it); dropping its events"
    ]
    client.groups["/aws/lambda/gone"] = {}  # terraform apply
    shipper.put("/aws/lambda/gone", "s", "back")
    assert shipper.flush(5)
    shipper.close()
    assert client.groups["/aws/lambda/gone"]["s"][0]["message"] == "back"


def test_an_unreachable_control_plane_drops_at_once_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Refused:
        def put_log_events(self, **kwargs: Any) -> None:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")

    shipper = CloudWatchLogShipper(lambda: Refused(), flush_interval=0.01)
    with caplog.at_level(logging.WARNING, logger="emulator.logs.shipper"):
        for _ in range(3):
            shipper.put("g", "s", "lost")
            assert shipper.flush(5)
    shipper.close()
    assert shipper.dropped == 3
    assert len(caplog.records) == 1 and "unreachable" in caplog.records[0].getMessage()


def test_a_failing_control_plane_drops_after_retries_without_raising() -> None:
    class Down:
        def put_log_events(self, **kwargs: Any) -> None:
            raise _error("ServiceUnavailable")

    shipper = CloudWatchLogShipper(lambda: Down(), flush_interval=0.01)
    shipper.put("g", "s", "lost")
    assert shipper.flush(10)
    shipper.close()
    assert shipper.dropped == 1


def test_since_accepts_durations_and_timestamps() -> None:
    assert parse_since("10m", now=1000.0) == 400_000
    assert parse_since("2h", now=10_000.0) == 2_800_000
    assert parse_since("2024-01-01T00:00:00Z") == 1_704_067_200_000


def test_tail_line_has_timestamp_stream_and_message() -> None:
    line = format_event({"timestamp": 1_704_067_200_000, "logStreamName": "s", "message": "hi\n"})
    assert line == "2024-01-01T00:00:00.000+00:00 s hi\n"
