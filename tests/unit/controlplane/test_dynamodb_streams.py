"""Stream records on patched moto: one per change, none for a no-op, 24-hour retention, 15-minute iterators."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from controlplane import dynamodb_streams
from tests.unit.controlplane.conftest import Aws

T = "store-streams"
KEY = {"pk": {"S": "book#1"}, "sk": {"N": "0"}}


def _table(aws: Aws) -> str:
    table = aws.ddb.create_table(
        TableName=T,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    return str(table["LatestStreamArn"])


def _iterator(aws: Aws, arn: str, kind: str = "TRIM_HORIZON", **extra: Any) -> str:
    shard = aws.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    return str(
        aws.streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind, **extra)[
            "ShardIterator"
        ]
    )


def _set(value: str) -> dict[str, Any]:
    return {
        "TableName": T,
        "Key": KEY,
        "UpdateExpression": "SET v = :v",
        "ExpressionAttributeValues": {":v": {"S": value}},
    }


WRITES: dict[str, Any] = {
    "update": lambda ddb, value: ddb.update_item(**_set(value)),
    "put": lambda ddb, value: ddb.put_item(TableName=T, Item={**KEY, "v": {"S": value}}),
    "transact-update": lambda ddb, value: ddb.transact_write_items(TransactItems=[{"Update": _set(value)}]),
}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize(
    ("values", "events"),
    [
        pytest.param(["a"], ["INSERT"], id="creating-an-item-is-one-insert"),
        pytest.param(["a", "a"], ["INSERT"], id="writing-the-same-values-is-no-record"),
        pytest.param(["a", "b", "b", "c"], ["INSERT", "MODIFY", "MODIFY"], id="only-changes-are-modify"),
    ],
)
def test_each_change_is_one_stream_record(aws: Aws, write: str, values: list[str], events: list[str]) -> None:
    arn = _table(aws)
    for value in values:
        WRITES[write](aws.ddb, value)
    records = aws.streams.get_records(ShardIterator=_iterator(aws, arn))["Records"]
    assert [r["eventName"] for r in records] == events
    assert records[0]["dynamodb"]["NewImage"] == {**KEY, "v": {"S": values[0]}}
    assert "OldImage" not in records[0]["dynamodb"]


def test_a_failed_update_item_leaves_no_item_and_no_record(aws: Aws) -> None:
    arn = _table(aws)
    with pytest.raises(ClientError, match="Item size"):
        aws.ddb.update_item(**{**_set("x" * 410_000)})
    assert "Item" not in aws.ddb.get_item(TableName=T, Key=KEY)
    assert aws.streams.get_records(ShardIterator=_iterator(aws, arn))["Records"] == []


def _age_records(aws: Aws, hours: float) -> None:
    for record in aws.backend.get_table(T).stream_shard.items:
        record.record["dynamodb"]["ApproximateCreationDateTime"] -= datetime.timedelta(hours=hours)


def test_records_older_than_24_hours_are_trimmed_and_sequence_numbers_still_index_the_shard(aws: Aws) -> None:
    arn = _table(aws)
    WRITES["put"](aws.ddb, "old")
    first = aws.streams.get_records(ShardIterator=_iterator(aws, arn))["Records"][0]["dynamodb"][
        "SequenceNumber"
    ]
    at_old = _iterator(aws, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=first)
    _age_records(aws, 25.5)
    latest = _iterator(aws, arn, "LATEST")
    WRITES["put"](aws.ddb, "new")  # this write trims the day-old record

    kept = aws.streams.get_records(ShardIterator=_iterator(aws, arn))["Records"]
    assert [r["dynamodb"]["NewImage"]["v"]["S"] for r in kept] == ["new"]
    assert int(kept[0]["dynamodb"]["SequenceNumber"]) == int(first) + 1
    assert [
        r["dynamodb"]["NewImage"]["v"]["S"] for r in aws.streams.get_records(ShardIterator=latest)["Records"]
    ] == ["new"]
    with pytest.raises(ClientError) as trimmed:
        aws.streams.get_records(ShardIterator=at_old)
    assert trimmed.value.response["Error"]["Code"] == "TrimmedDataAccessException"


@pytest.mark.parametrize(
    ("hours", "trimmed"),
    [
        (24.5, 0),  # older than 24 hours, but trimming waits for an hour's worth to stay O(1) per write
        (25.5, 1),
    ],
)
def test_trimming_happens_in_hourly_batches(aws: Aws, hours: float, trimmed: int) -> None:
    _table(aws)
    WRITES["put"](aws.ddb, "old")
    _age_records(aws, hours)
    assert dynamodb_streams.trim(aws.backend.get_table(T).stream_shard) == trimmed


def test_an_iterator_expires_15_minutes_after_it_was_issued(aws: Aws) -> None:
    arn = _table(aws)
    iterator = _iterator(aws, arn)
    page = aws.streams.get_records(ShardIterator=iterator)
    assert len(aws.streams_backend.shard_iterators) == 2
    dynamodb_streams.expire_iterators(aws.streams_backend, time.monotonic() + 15 * 60)
    assert aws.streams_backend.shard_iterators == {}
    with pytest.raises(ClientError) as expired:
        aws.streams.get_records(ShardIterator=page["NextShardIterator"])
    assert expired.value.response["Error"]["Code"] == "ExpiredIteratorException"
