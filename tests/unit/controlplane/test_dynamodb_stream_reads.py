"""GetRecords in plain JSON parses, through botocore, to exactly what moto's serializer answered."""

from __future__ import annotations

from typing import Any

from controlplane import dynamodb_stream_reads
from tests.unit.controlplane.conftest import Aws

ITEMS = [
    {"pk": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": b"\x00\xff"}, "bs": {"BS": [b"x", b"y"]}},
    {"pk": {"S": "a"}, "l": {"L": [{"S": "x"}, {"M": {"k": {"BOOL": True}, "z": {"NULL": True}}}]}},
    {"pk": {"S": "b"}, "ss": {"SS": ["p", "q"]}, "ns": {"NS": ["1", "2"]}, "u": {"S": "é \U0001f600"}},
]


def _records(aws: Aws, arn: str) -> list[dict[str, Any]]:
    shard = aws.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = aws.streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    page = aws.streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=100)
    assert page["NextShardIterator"]
    return list(page["Records"])


def test_get_records_answers_what_the_shape_serializer_answered(
    aws: Aws, patched_moto: dict[str, dict[str, Any]]
) -> None:
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    aws.ddb.create_table(
        TableName="stream-reads",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    for item in ITEMS:
        aws.ddb.put_item(TableName="stream-reads", Item=item)
    aws.ddb.delete_item(TableName="stream-reads", Key={"pk": {"S": "b"}})
    arn = aws.ddb.describe_table(TableName="stream-reads")["Table"]["LatestStreamArn"]

    plain = _records(aws, arn)
    DynamoDBStreamsHandler.get_records = patched_moto["DynamoDBStreamsHandler"]["get_records"]  # moto's own
    try:
        serialized = _records(aws, arn)
    finally:
        dynamodb_stream_reads.apply()

    assert [r["eventName"] for r in plain] == ["INSERT", "MODIFY", "INSERT", "REMOVE"]
    assert plain == serialized
