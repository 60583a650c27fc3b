"""Against a real `python -m controlplane`: writes succeed with a mapping on an image function, stream kept."""

from __future__ import annotations

import time
from typing import Any

import boto3

from tests.support.waits import wait_for

ACCOUNT = "123456789012"


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")


def test_put_item_succeeds_and_stream_keeps_records_with_a_mapping(moto_endpoint: str) -> None:
    ddb = _client("dynamodb", moto_endpoint)
    table = ddb.create_table(
        TableName="cp-patch-events",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    iam = _client("iam", moto_endpoint)
    role = iam.create_role(
        RoleName="cp-patch-role",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    )["Role"]
    lam = _client("lambda", moto_endpoint)
    lam.create_function(
        FunctionName="cp-patch-fn",
        Role=role["Arn"],
        PackageType="Image",
        Code={"ImageUri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/cp-patch@sha256:{'a' * 64}"},
    )
    lam.create_event_source_mapping(
        EventSourceArn=table["LatestStreamArn"], FunctionName="cp-patch-fn", StartingPosition="TRIM_HORIZON"
    )

    ddb.put_item(TableName="cp-patch-events", Item={"pk": {"S": "book#1"}})
    ddb.put_item(TableName="cp-patch-events", Item={"pk": {"S": "book#1"}, "v": {"N": "2"}})

    streams = _client("dynamodbstreams", moto_endpoint)
    shard = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=table["LatestStreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}


def _stream_table(ddb: Any, name: str) -> dict[str, Any]:
    return dict(
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )["TableDescription"]
    )


def test_a_cancelled_transaction_keeps_stream_iterators_valid_and_leaves_no_records(
    moto_endpoint: str,
) -> None:
    ddb = _client("dynamodb", moto_endpoint)
    table = _stream_table(ddb, "cp-patch-tx")
    streams = _client("dynamodbstreams", moto_endpoint)
    shard = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=table["LatestStreamArn"], ShardId=shard["ShardId"], ShardIteratorType="LATEST"
    )["ShardIterator"]
    ddb.put_item(TableName="cp-patch-tx", Item={"pk": {"S": "isbn#1"}})
    page = streams.get_records(ShardIterator=iterator)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]] == ["isbn#1"]

    cancelled = None
    try:  # the second Put fails its condition, so moto rolls the whole transaction back
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "cp-patch-tx", "Item": {"pk": {"S": "book#2"}}}},
                {
                    "Put": {
                        "TableName": "cp-patch-tx",
                        "Item": {"pk": {"S": "isbn#1"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    except ddb.exceptions.TransactionCanceledException as exc:
        cancelled = exc
    assert cancelled is not None
    ddb.put_item(TableName="cp-patch-tx", Item={"pk": {"S": "book#3"}})

    # The iterator handed out before the rollback still sees later writes, and nothing of the rollback.
    after = streams.get_records(ShardIterator=page["NextShardIterator"])["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in after] == ["book#3"]
    assert "Item" not in ddb.get_item(TableName="cp-patch-tx", Key={"pk": {"S": "book#2"}})


def test_the_server_sweeps_expired_items_and_marks_their_remove_records(moto_endpoint: str) -> None:
    ddb, streams = _client("dynamodb", moto_endpoint), _client("dynamodbstreams", moto_endpoint)
    table = _stream_table(ddb, "cp-patch-ttl")
    ddb.update_time_to_live(
        TableName="cp-patch-ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    past, future = str(int(time.time()) - 60), str(int(time.time()) + 3600)
    ddb.put_item(TableName="cp-patch-ttl", Item={"pk": {"S": "idem#old"}, "expires_at": {"N": past}})
    ddb.put_item(TableName="cp-patch-ttl", Item={"pk": {"S": "idem#new"}, "expires_at": {"N": future}})

    # The server's sweeper thread runs every TTL_SWEEP_SECONDS (5 s by default).
    wait_for(
        lambda: ddb.scan(TableName="cp-patch-ttl", ConsistentRead=True)["Count"] == 1,
        timeout=30,
        interval=0.25,
        what="the TTL sweep",
    )

    shard = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=table["LatestStreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [
        ("INSERT", "idem#old"),
        ("INSERT", "idem#new"),
        ("REMOVE", "idem#old"),
    ]
    assert records[2]["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    assert "userIdentity" not in records[0]
