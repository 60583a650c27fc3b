"""TTL on the local stack: an expired idempotency record is deleted, and its REMOVE leaves the read side as it was."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import new_book
from tests.e2e.test_books_api import BOOKS, wait_for_version
from tests.support.waits import wait_for

# The control plane sweeps every TTL_SWEEP_SECONDS (default 5 s); AWS takes up to about two days.
EXPIRY_TIMEOUT = 30.0
SERVICE = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


@pytest.fixture
def event_store(stack: dict[str, str]) -> str:
    if not stack.get("AWS_ENDPOINT_URL"):
        pytest.skip("on AWS, TTL deletes expired items typically within two days: a local-stack test")
    return stack["EVENT_STORE_TABLE"]


def _idempotency_key(dynamodb: Any, table: str, key: str) -> dict[str, Any]:
    """The key of the record for an Idempotency-Key (its pk is scoped per caller: idem#<caller>\\n<key>)."""
    scan: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "begins_with(pk, :idem) AND contains(pk, :key)",
        "ExpressionAttributeValues": {":idem": {"S": "idem#"}, ":key": {"S": f"\n{key}"}},
        "ConsistentRead": True,
    }
    found: list[dict[str, Any]] = []
    while True:
        page = dynamodb.scan(**scan)
        found += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert len(found) == 1, found
    return {"pk": found[0]["pk"], "sk": found[0]["sk"], "expires_at": found[0]["expires_at"]}


def _latest_iterator(dynamodb: Any, streams: Any, table: str) -> str:
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    assert len(shards) == 1  # moto keeps one shard per table, so the stream's order is the table's
    return str(
        streams.get_shard_iterator(StreamArn=arn, ShardId=shards[0]["ShardId"], ShardIteratorType="LATEST")[
            "ShardIterator"
        ]
    )


def test_the_event_store_has_ttl_on_expires_at(aws_client: Any, event_store: str) -> None:
    described = aws_client("dynamodb").describe_time_to_live(TableName=event_store)["TimeToLiveDescription"]
    assert described == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_an_expired_idempotency_record_disappears_and_the_projector_ignores_its_remove(
    api_url: str, writer: dict[str, str], aws_client: Any, event_store: str
) -> None:
    dynamodb, streams = aws_client("dynamodb"), aws_client("dynamodbstreams")
    idempotency_key = uuid.uuid4().hex
    created = requests.post(
        f"{api_url}{BOOKS}",
        json=new_book(),
        headers={**writer, "Idempotency-Key": idempotency_key},
        timeout=15,
    )
    assert created.status_code == 201, created.text
    book = created.json()
    assert wait_for_version(api_url, book["id"], 1) == book
    record = _idempotency_key(dynamodb, event_store, idempotency_key)
    key = {"pk": record["pk"], "sk": record["sk"]}
    assert int(record["expires_at"]["N"]) > time.time()  # the command side remembers keys for 24 hours
    iterator = _latest_iterator(dynamodb, streams, event_store)

    dynamodb.update_item(
        TableName=event_store,
        Key=key,
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 60)}},
    )
    wait_for(
        lambda: "Item" not in dynamodb.get_item(TableName=event_store, Key=key, ConsistentRead=True),
        timeout=EXPIRY_TIMEOUT,
        interval=0.25,
        what="the control plane's TTL sweep to delete the expired idempotency record",
    )

    page = streams.get_records(ShardIterator=iterator)
    assert [(r["eventName"], r["dynamodb"]["Keys"]) for r in page["Records"]] == [
        ("MODIFY", key),
        ("REMOVE", key),
    ]
    removed = page["Records"][1]
    assert removed["userIdentity"] == SERVICE
    assert "OldImage" not in removed["dynamodb"] and "NewImage" not in removed["dynamodb"]  # NEW_IMAGE view

    # The poller delivers the shard in order and retries a failed record before anything after it, so
    # once a later event of the same book is projected, the MODIFY and the REMOVE went through harmlessly.
    patched = requests.patch(
        f"{api_url}{BOOKS}/{book['id']}",
        json={"page_count": 321},
        headers={**writer, "Content-Type": "application/merge-patch+json", "If-Match": '"1"'},
        timeout=15,
    )
    assert patched.status_code == 200, patched.text
    read_back = wait_for_version(api_url, book["id"], 2)
    assert read_back == patched.json()
    assert {k: v for k, v in read_back.items() if k not in ("page_count", "version", "updated_at")} == {
        k: v for k, v in book.items() if k not in ("page_count", "version", "updated_at")
    }
