"""TTL on patched moto: which items a sweep deletes, the REMOVE records it writes, and what it costs."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from controlplane import dynamodb_ttl, moto_patches
from tests.unit.controlplane.conftest import Aws

T = "store-ttl"
NOW = 1_764_300_000
KEY = {"pk": {"S": "idem#k"}, "sk": {"N": "0"}}
FIVE_YEARS = dynamodb_ttl.FIVE_YEARS_SECONDS


def _table(aws: Aws, view_type: str = "NEW_IMAGE", ttl: str | None = "expires_at") -> str:
    arn = aws.ddb.create_table(
        TableName=T,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type},
    )["TableDescription"]["LatestStreamArn"]
    if ttl is not None:
        _enable(aws, ttl)
    return str(arn)


def _enable(aws: Aws, attribute: str, enabled: bool = True) -> None:
    aws.ddb.update_time_to_live(
        TableName=T, TimeToLiveSpecification={"Enabled": enabled, "AttributeName": attribute}
    )


def _records(aws: Aws, arn: str) -> list[dict[str, Any]]:
    shard = aws.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = aws.streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return list(aws.streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])


def _sweep(now: float = NOW) -> dynamodb_ttl.SweepReport:
    return dynamodb_ttl.sweep(moto_patches._write_lock, now)


def _exists(aws: Aws, key: dict[str, Any] = KEY) -> bool:
    return "Item" in aws.ddb.get_item(TableName=T, Key=key, ConsistentRead=True)


@pytest.mark.parametrize(
    ("ttl_value", "deleted"),
    [
        pytest.param({"N": str(NOW - 60)}, True, id="a-number-in-the-past-expires"),
        pytest.param({"N": f"{NOW - 60}.5"}, True, id="a-fractional-number-in-the-past-expires"),
        pytest.param({"N": str(NOW - FIVE_YEARS + 1)}, True, id="just-under-five-years-ago-expires"),
        pytest.param({"N": str(NOW - FIVE_YEARS - 1)}, False, id="more-than-five-years-ago-is-ignored"),
        pytest.param({"N": str(NOW)}, False, id="now-is-not-yet-expired"),
        pytest.param({"N": str(NOW + 60)}, False, id="a-future-number-is-kept"),
        pytest.param({"N": str((NOW - 60) * 1000)}, False, id="milliseconds-read-as-seconds-are-far-future"),
        pytest.param({"S": str(NOW - 60)}, False, id="a-string-never-expires"),
        pytest.param({"M": {"at": {"N": str(NOW - 60)}}}, False, id="a-map-never-expires"),
        pytest.param(None, False, id="no-ttl-attribute-never-expires"),
    ],
)
def test_a_sweep_deletes_exactly_the_items_dynamodb_would_expire(
    aws: Aws, ttl_value: dict[str, Any] | None, deleted: bool
) -> None:
    _table(aws)
    item = {**KEY, "v": {"S": "x"}} | ({} if ttl_value is None else {"expires_at": ttl_value})
    aws.ddb.put_item(TableName=T, Item=item)

    report = _sweep()

    assert _exists(aws) is not deleted
    assert report.deleted == int(deleted)


@pytest.mark.parametrize(
    ("view_type", "old_image"),
    [
        pytest.param("KEYS_ONLY", False, id="keys-only"),
        pytest.param("NEW_IMAGE", False, id="new-image"),
        pytest.param("OLD_IMAGE", True, id="old-image"),
        pytest.param("NEW_AND_OLD_IMAGES", True, id="new-and-old-images"),
    ],
)
def test_each_deletion_is_a_remove_record_from_the_dynamodb_service(
    aws: Aws, view_type: str, old_image: bool
) -> None:
    arn = _table(aws, view_type)
    item = {**KEY, "expires_at": {"N": str(NOW - 1)}}
    aws.ddb.put_item(TableName=T, Item=item)

    _sweep()

    removed = _records(aws, arn)[-1]
    assert removed["eventName"] == "REMOVE"
    assert removed["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    assert removed["dynamodb"]["Keys"] == KEY
    assert removed["dynamodb"].get("OldImage") == (item if old_image else None)
    assert "NewImage" not in removed["dynamodb"]


def test_writes_and_deletes_by_a_caller_carry_no_user_identity(aws: Aws) -> None:
    arn = _table(aws, "NEW_AND_OLD_IMAGES")
    aws.ddb.put_item(TableName=T, Item={**KEY, "expires_at": {"N": str(NOW + 60)}})
    aws.ddb.delete_item(TableName=T, Key=KEY)

    assert [("userIdentity" in r, r["eventName"]) for r in _records(aws, arn)] == [
        (False, "INSERT"),
        (False, "REMOVE"),
    ]


def test_expired_items_are_still_read_until_the_sweep_deletes_them(aws: Aws) -> None:
    _table(aws)
    aws.ddb.put_item(TableName=T, Item={**KEY, "expires_at": {"N": str(NOW - 60)}})
    values = {":pk": KEY["pk"]}

    reads = {
        "get": lambda: _exists(aws),
        "query": lambda: (
            aws.ddb.query(TableName=T, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=values)[
                "Count"
            ]
            == 1
        ),
        "scan": lambda: aws.ddb.scan(TableName=T)["Count"] == 1,
    }
    assert {name: read() for name, read in reads.items()} == dict.fromkeys(reads, True)

    _sweep()

    assert {name: read() for name, read in reads.items()} == dict.fromkeys(reads, False)


WRITES: dict[str, Any] = {
    "update-moves-the-expiry-later": lambda ddb: ddb.update_item(
        TableName=T,
        Key=KEY,
        UpdateExpression="SET expires_at = :later",
        ExpressionAttributeValues={":later": {"N": str(NOW + 60)}},
    ),
    "update-removes-the-attribute": lambda ddb: ddb.update_item(
        TableName=T, Key=KEY, UpdateExpression="REMOVE expires_at"
    ),
    "put-replaces-the-item": lambda ddb: ddb.put_item(TableName=T, Item={**KEY, "v": {"S": "new"}}),
    "transaction-moves-the-expiry-later": lambda ddb: ddb.transact_write_items(
        TransactItems=[{"Put": {"TableName": T, "Item": {**KEY, "expires_at": {"N": str(NOW + 60)}}}}]
    ),
}


@pytest.mark.parametrize("write", WRITES)
def test_an_item_rewritten_before_the_sweep_is_judged_by_what_is_stored(aws: Aws, write: str) -> None:
    _table(aws)
    aws.ddb.put_item(TableName=T, Item={**KEY, "expires_at": {"N": str(NOW - 60)}})
    WRITES[write](aws.ddb)

    assert _sweep().deleted == 0
    assert _exists(aws)


def test_an_update_that_sets_a_past_expiry_is_swept(aws: Aws) -> None:
    _table(aws)
    aws.ddb.put_item(TableName=T, Item={**KEY, "expires_at": {"N": str(NOW + 60)}})
    aws.ddb.update_item(
        TableName=T,
        Key=KEY,
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(NOW - 60)}},
    )

    assert _sweep().deleted == 1
    assert not _exists(aws)


@pytest.mark.parametrize(
    ("steps", "deleted"),
    [
        pytest.param([], False, id="ttl-never-enabled-deletes-nothing"),
        pytest.param([("expires_at", True)], True, id="enabling-ttl-finds-items-written-before"),
        pytest.param([("expires_at", True), ("expires_at", False)], False, id="disabling-ttl-stops-expiry"),
        pytest.param([("other", True)], False, id="another-attribute-name-is-not-read"),
        pytest.param(
            [("other", True), ("other", False), ("expires_at", True)], True, id="renaming-reindexes"
        ),
    ],
)
def test_the_tables_ttl_setting_decides(aws: Aws, steps: list[tuple[str, bool]], deleted: bool) -> None:
    _table(aws, ttl=None)
    aws.ddb.put_item(TableName=T, Item={**KEY, "expires_at": {"N": str(NOW - 60)}})
    for attribute, enabled in steps:
        _enable(aws, attribute, enabled)

    _sweep()

    assert _exists(aws) is not deleted
    assert aws.ddb.describe_time_to_live(TableName=T)["TimeToLiveDescription"]["TimeToLiveStatus"] == (
        "ENABLED" if steps and steps[-1][1] else "DISABLED"
    )


def test_a_sweep_examines_only_the_entries_that_are_due(aws: Aws) -> None:
    _table(aws)
    live = [
        {"pk": {"S": f"idem#{n}"}, "sk": {"N": "0"}, "expires_at": {"N": str(NOW + n)}} for n in range(1, 301)
    ]
    dead = [
        {"pk": {"S": f"idem#x{n}"}, "sk": {"N": "0"}, "expires_at": {"N": str(NOW - n)}} for n in range(1, 4)
    ]
    for item in live + dead:
        aws.ddb.put_item(TableName=T, Item=item)

    report = _sweep()

    assert (report.examined, report.deleted) == (3, 3)
    assert aws.ddb.scan(TableName=T, Select="COUNT")["Count"] == 300
    assert not any(partition == {} for partition in aws.backend.get_table(T).items.values())


class _CountingLock:
    """The write lock, counting how deep it is held, so a test can see what ran under it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.depth = self.holds = 0

    def __enter__(self) -> None:
        self._lock.acquire()
        self.depth += 1
        self.holds += 1

    def __exit__(self, *exc: object) -> None:
        self.depth -= 1
        self._lock.release()


def test_deletions_happen_under_the_write_lock_in_batches(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.table import Table

    _table(aws)
    for n in range(5):
        aws.ddb.put_item(
            TableName=T,
            Item={"pk": {"S": f"idem#{n}"}, "sk": {"N": "0"}, "expires_at": {"N": str(NOW - n - 1)}},
        )
    lock, held = _CountingLock(), []
    delete_item = Table.delete_item

    def recording_delete(self: Any, *args: Any) -> Any:
        held.append(lock.depth)
        return delete_item(self, *args)

    monkeypatch.setattr(Table, "delete_item", recording_delete)
    monkeypatch.setattr(dynamodb_ttl, "BATCH", 2)

    report = dynamodb_ttl.sweep(lock, NOW)  # type: ignore[arg-type]

    assert report.deleted == 5 and held == [1] * 5
    assert lock.holds == 3  # 2 + 2 + 1: writers get the lock between batches
