"""A real moto table stream delivered to a real function, with a failing record going to the DLQ."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from tests.integration.emulator.lambdas.conftest import EmulatorProcess, aws
from tests.support.waits import wait_for


def test_stream_records_are_delivered_and_a_failing_record_reaches_the_on_failure_queue(
    emulator: EmulatorProcess, make_function: Callable[..., str]
) -> None:
    cp = emulator.control_plane
    name = make_function("itest_handlers.stream")
    table = f"itest-stream-{uuid.uuid4().hex[:8]}"
    ddb, sqs, lam = aws(cp, "dynamodb"), aws(cp, "sqs"), aws(cp, "lambda")
    stream_arn = ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    queue_url = sqs.create_queue(QueueName=f"{table}-dlq")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    mapping = lam.create_event_source_mapping(
        FunctionName=name,
        EventSourceArn=stream_arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    try:
        ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
        ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"N": "2"}})
        ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
        ddb.put_item(TableName=table, Item={"pk": {"S": "bad"}, "fail": {"BOOL": True}})

        def seen() -> list[dict[str, Any]] | None:
            records = _handled(cp, name)
            names = [(r["keys"]["pk"]["S"], r["eventName"]) for r in records]
            wanted = [("a", "INSERT"), ("a", "MODIFY"), ("a", "REMOVE"), ("bad", "INSERT")]
            return records if all(w in names for w in wanted) else None

        records = wait_for(seen, timeout=30, interval=0.25, what="INSERT/MODIFY/REMOVE delivered")
        ordered = [r["eventName"] for r in records if r["keys"]["pk"]["S"] == "a"]
        assert ordered[:3] == ["INSERT", "MODIFY", "REMOVE"]

        def dlq_message() -> dict[str, Any] | None:
            messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
            return json.loads(messages[0]["Body"]) if messages else None

        document = wait_for(dlq_message, timeout=30, what="failed batch record on the on-failure queue")
        bad_seq = next(r["seq"] for r in records if r["keys"]["pk"]["S"] == "bad")
        info = document["DDBStreamBatchInfo"]
        assert document["version"] == "1.0"
        assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert document["requestContext"]["functionArn"].endswith(f":function:{name}")
        assert info["streamArn"] == stream_arn
        assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
            bad_seq,
            bad_seq,
            1,
        )
        # the good records were never retried past their checkpoint: each "a" change delivered exactly once
        assert sorted(ordered) == sorted(["INSERT", "MODIFY", "REMOVE"])

        # the failing record was retried once (MaximumRetryAttempts=1) before being discarded; the retry's log
        # line may still be on its way to CloudWatch Logs when the DLQ message is already there
        def bad_deliveries() -> int:
            return sum(1 for r in _handled(cp, name) if r["keys"]["pk"]["S"] == "bad")

        wait_for(lambda: bad_deliveries() >= 2, timeout=15, what="the retry's log line")
        assert bad_deliveries() == 2
    finally:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])


def _handled(control_plane: str, name: str) -> list[dict[str, Any]]:
    logs = aws(control_plane, "logs")
    try:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    handled = []
    for event in sorted(events, key=lambda e: e["timestamp"]):
        if event["message"].startswith("{"):
            handled.append(json.loads(event["message"]))
    return handled
