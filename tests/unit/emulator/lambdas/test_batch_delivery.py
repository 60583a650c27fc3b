import asyncio
import json
from typing import Any

from emulator.event_sources.dynamodb_stream_poller import BatchDelivery, MappingConfig
from emulator.invocation import InvocationResult, InvocationStatus

STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024"
DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"


def _records(*seqs: int) -> list[dict[str, Any]]:
    return [
        {
            "eventID": str(s),
            "eventName": "INSERT",
            "dynamodb": {"Keys": {}, "SequenceNumber": str(s), "SizeBytes": 1},
        }
        for s in seqs
    ]


class FakeFunction:
    """Fails records whose sequence number is in `bad`: by batchItemFailures or by raising."""

    def __init__(self, bad: set[str], mode: str = "items") -> None:
        self.bad = bad
        self.mode = mode
        self.batches: list[list[str]] = []

    async def __call__(self, function: str, payload: bytes) -> InvocationResult:
        seqs = [r["dynamodb"]["SequenceNumber"] for r in json.loads(payload)["Records"]]
        self.batches.append(seqs)
        failed = [s for s in seqs if s in self.bad]
        if failed and self.mode == "error":
            return InvocationResult(
                InvocationStatus.FUNCTION_ERROR, b'{"errorType":"X"}', f"req-{len(self.batches)}", "Unhandled"
            )
        body = {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}
        return InvocationResult(InvocationStatus.OK, json.dumps(body).encode(), f"req-{len(self.batches)}")


async def _no_sleep(_: float) -> None:
    return None


def _deliver(
    mapping: MappingConfig, fn: FakeFunction, records: list[dict[str, Any]]
) -> tuple[list[str], list[dict[str, Any]]]:
    checkpoints: list[str] = []
    failures: list[dict[str, Any]] = []

    async def on_failure(destination: str, document: dict[str, Any]) -> None:
        assert destination == DLQ
        failures.append(document)

    delivery = BatchDelivery(mapping, "shard-1", fn, on_failure, sleep=_no_sleep)
    asyncio.run(delivery.deliver(records, checkpoints.append))
    return checkpoints, failures


def _mapping(**kwargs: Any) -> MappingConfig:
    return MappingConfig(
        uuid="m", function_arn="arn:aws:lambda:us-east-1:1:function:p", stream_arn=STREAM, **kwargs
    )


def test_success_checkpoints_at_the_last_record() -> None:
    fn = FakeFunction(set())
    checkpoints, failures = _deliver(_mapping(report_batch_item_failures=True), fn, _records(1, 2, 3))
    assert fn.batches == [["1", "2", "3"]]
    assert checkpoints == ["3"] and failures == []


def test_item_failures_checkpoint_before_the_lowest_failed_and_retry_from_there() -> None:
    fn = FakeFunction({"3", "5"})
    mapping = _mapping(report_batch_item_failures=True, maximum_retry_attempts=1, on_failure_destination=DLQ)
    checkpoints, failures = _deliver(mapping, fn, _records(1, 2, 3, 4, 5))
    assert fn.batches == [["1", "2", "3", "4", "5"], ["3", "4", "5"]]
    assert checkpoints[0] == "2"
    assert checkpoints[-1] == "5"  # after the retries ran out the batch is discarded, the shard moves on
    assert len(failures) == 1
    info = failures[0]["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == ("3", "5", 3)
    assert failures[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failures[0]["requestContext"]["approximateInvokeCount"] == 2


def test_item_failures_are_ignored_unless_the_mapping_reports_them() -> None:
    fn = FakeFunction({"2"})
    checkpoints, _ = _deliver(_mapping(), fn, _records(1, 2, 3))
    assert fn.batches == [["1", "2", "3"]] and checkpoints == ["3"]


def test_unknown_item_identifier_fails_the_whole_batch() -> None:
    async def bogus(function: str, payload: bytes) -> InvocationResult:
        calls.append(1)
        if len(calls) == 1:
            return InvocationResult(
                InvocationStatus.OK, b'{"batchItemFailures": [{"itemIdentifier": ""}]}', "r"
            )
        return InvocationResult(InvocationStatus.OK, b"{}", "r")

    calls: list[int] = []
    checkpoints: list[str] = []

    async def on_failure(destination: str, document: dict[str, Any]) -> None:
        raise AssertionError("nothing should be discarded")

    mapping = _mapping(report_batch_item_failures=True)
    asyncio.run(
        BatchDelivery(mapping, "s", bogus, on_failure, sleep=_no_sleep).deliver(
            _records(1, 2), checkpoints.append
        )
    )
    assert len(calls) == 2 and checkpoints == ["2"]


def test_function_error_retries_the_whole_batch_then_sends_it_to_the_destination() -> None:
    fn = FakeFunction({"2"}, mode="error")
    mapping = _mapping(maximum_retry_attempts=2, on_failure_destination=DLQ)
    checkpoints, failures = _deliver(mapping, fn, _records(1, 2, 3))
    assert fn.batches == [["1", "2", "3"]] * 3
    assert checkpoints == ["3"]
    assert failures[0]["responseContext"]["functionError"] == "Unhandled"
    assert failures[0]["DDBStreamBatchInfo"]["batchSize"] == 3


def test_bisect_isolates_the_bad_record_without_spending_retries() -> None:
    fn = FakeFunction({"3"}, mode="error")
    mapping = _mapping(bisect_on_error=True, maximum_retry_attempts=0, on_failure_destination=DLQ)
    checkpoints, failures = _deliver(mapping, fn, _records(1, 2, 3, 4))
    assert fn.batches == [["1", "2", "3", "4"], ["1", "2"], ["3", "4"], ["3"], ["4"]]
    assert checkpoints == ["2", "3", "4"]
    assert len(failures) == 1
    assert failures[0]["DDBStreamBatchInfo"]["startSequenceNumber"] == "3"
    assert failures[0]["DDBStreamBatchInfo"]["batchSize"] == 1


def test_nothing_is_lost_when_the_function_recovers() -> None:
    fn = FakeFunction({"2"}, mode="error")

    original = fn.__call__

    async def flaky(function: str, payload: bytes) -> InvocationResult:
        if len(fn.batches) >= 2:
            fn.bad = set()
        return await original(function, payload)

    checkpoints: list[str] = []

    async def on_failure(destination: str, document: dict[str, Any]) -> None:
        raise AssertionError("nothing should be discarded")

    asyncio.run(
        BatchDelivery(_mapping(), "s", flaky, on_failure, sleep=_no_sleep).deliver(
            _records(1, 2, 3), checkpoints.append
        )
    )
    assert fn.batches[-1] == ["1", "2", "3"] and checkpoints == ["3"]


def test_throttling_retries_without_spending_the_retry_budget() -> None:
    results = [
        InvocationResult(InvocationStatus.THROTTLED, b"", "r1"),
        InvocationResult(InvocationStatus.THROTTLED, b"", "r2"),
        InvocationResult(InvocationStatus.OK, b"null", "r3"),
    ]

    async def invoke(function: str, payload: bytes) -> InvocationResult:
        return results.pop(0)

    async def on_failure(destination: str, document: dict[str, Any]) -> None:
        raise AssertionError("throttles must not discard records")

    checkpoints: list[str] = []
    mapping = _mapping(maximum_retry_attempts=0)
    asyncio.run(
        BatchDelivery(mapping, "s", invoke, on_failure, sleep=_no_sleep).deliver(
            _records(7), checkpoints.append
        )
    )
    assert checkpoints == ["7"] and results == []


def test_mapping_config_from_the_lambda_api() -> None:
    mapping = MappingConfig.from_api(
        {
            "UUID": "u",
            "FunctionArn": "arn:f",
            "EventSourceArn": STREAM,
            "BatchSize": 5,
            "StartingPosition": "TRIM_HORIZON",
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 0,
            "DestinationConfig": {"OnFailure": {"Destination": DLQ}},
        }
    )
    assert (mapping.batch_size, mapping.starting_position) == (5, "TRIM_HORIZON")
    assert mapping.report_batch_item_failures and mapping.bisect_on_error
    assert mapping.maximum_retry_attempts == 0 and mapping.maximum_record_age_seconds == -1
    assert mapping.on_failure_destination == DLQ


def test_throttles_back_off_and_the_same_batch_is_delivered_once_the_cap_frees() -> None:
    outcomes = [InvocationStatus.THROTTLED] * 6 + [InvocationStatus.OK]
    sent: list[list[str]] = []
    waits: list[float] = []

    async def invoke(function: str, payload: bytes) -> InvocationResult:
        sent.append([r["dynamodb"]["SequenceNumber"] for r in json.loads(payload)["Records"]])
        return InvocationResult(outcomes.pop(0), b"null", f"r{len(sent)}")

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def on_failure(destination: str, document: dict[str, Any]) -> None:
        raise AssertionError("throttles must not discard records")

    checkpoints: list[str] = []
    mapping = _mapping(maximum_retry_attempts=1)
    asyncio.run(
        BatchDelivery(mapping, "s", invoke, on_failure, sleep=sleep).deliver(
            _records(1, 2), checkpoints.append
        )
    )

    assert sent == [["1", "2"]] * 7
    assert waits == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0]
    assert checkpoints == ["2"]
