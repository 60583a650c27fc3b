"""Fixtures for the books adapters against a real moto server: clients and freshly made tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest


@dataclass(frozen=True)
class Tables:
    event_store: str
    read_model: str


@pytest.fixture
def dynamodb(moto_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
def streams(moto_endpoint: str) -> Any:
    return boto3.client("dynamodbstreams", endpoint_url=moto_endpoint, region_name="us-east-1")


def create_event_store(client: Any, name: str) -> None:
    """The event store schema from docs/contracts.md: pk (S) / sk (N), stream NEW_IMAGE."""
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )


def create_read_model(client: Any, name: str) -> None:
    """The read model schema from docs/contracts.md: id (S), GSI by_title on kind (S) / title_key (S)."""
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "kind", "AttributeType": "S"},
            {"AttributeName": "title_key", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_title",
                "KeySchema": [
                    {"AttributeName": "kind", "KeyType": "HASH"},
                    {"AttributeName": "title_key", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


@pytest.fixture
def tables(dynamodb: Any) -> Iterator[Tables]:
    suffix = uuid.uuid4().hex[:8]
    made = Tables(f"it-{suffix}-books-events", f"it-{suffix}-books-read-model")
    create_event_store(dynamodb, made.event_store)
    create_read_model(dynamodb, made.read_model)
    yield made
    for name in (made.event_store, made.read_model):
        dynamodb.delete_table(TableName=name)


def stream_records(dynamodb: Any, streams: Any, table: str) -> list[dict[str, Any]]:
    """Every record on the table's stream so far, read the way Lambda's poller reads it."""
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator)
            records += page["Records"]
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return records
