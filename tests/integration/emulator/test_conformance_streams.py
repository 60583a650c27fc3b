"""DynamoDB stream delivery: INSERT/MODIFY/REMOVE delivered exactly once, a failing record retried then DLQ'd."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.emulator.conftest import Emulator
from tests.support.waits import wait_for


def deliveries(emulator: Emulator) -> dict[tuple[str, str], list[int]]:
    """(item id, event name) -> delivery count of each distinct record, from the consumer's records table."""
    table = emulator.aws("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": emulator.outputs["records_table"]}
    while True:
        page = table.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    seen: dict[tuple[str, str], list[int]] = {}
    for item in items:
        key = (item["item_id"]["S"], item["event_name"]["S"])
        seen.setdefault(key, []).append(int(item["deliveries"]["N"]))
    return seen


def test_stream_records_reach_the_consumer_and_the_failing_one_goes_to_the_dlq(emulator: Emulator) -> None:
    dynamodb = emulator.aws("dynamodb")
    table = emulator.outputs["source_table"]
    dynamodb.put_item(TableName=table, Item={"id": {"S": "a"}, "v": {"N": "1"}})
    dynamodb.put_item(TableName=table, Item={"id": {"S": "a"}, "v": {"N": "2"}})
    dynamodb.delete_item(TableName=table, Key={"id": {"S": "a"}})
    dynamodb.put_item(TableName=table, Item={"id": {"S": "b"}, "v": {"N": "1"}})
    # Written last, so a retry from its sequence number redelivers nothing else.
    dynamodb.put_item(TableName=table, Item={"id": {"S": "poison"}, "v": {"N": "1"}})
    sqs = emulator.aws("sqs")
    queue = emulator.outputs["dead_letter_queue_url"]

    def dlq_message() -> dict[str, Any] | None:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages"
        )
        return json.loads(messages[0]["Body"]) if messages else None

    failure = wait_for(dlq_message, timeout=90, interval=0.5, what="the failing record in the DLQ")
    seen = deliveries(emulator)

    assert seen[("a", "INSERT")] == [1]
    assert seen[("a", "MODIFY")] == [1]
    assert seen[("a", "REMOVE")] == [1]
    assert seen[("b", "INSERT")] == [1]
    (poison_deliveries,) = seen[("poison", "INSERT")]
    assert poison_deliveries >= 2, "the failing record must be retried before it is given up"
    batch = failure["DDBStreamBatchInfo"]
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    assert batch["streamArn"] == stream_arn
    assert batch["batchSize"] == 1
    assert batch["startSequenceNumber"] == batch["endSequenceNumber"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["functionArn"].endswith(":function:conformance-stream-consumer")
    assert failure["version"] == "1.0"
