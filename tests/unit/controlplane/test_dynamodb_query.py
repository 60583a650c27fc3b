"""Query on patched moto: one partition's items, in DynamoDB's order, whatever the table's size."""

from __future__ import annotations

import statistics
import sys
import threading
import time
from typing import Any

import pytest

from tests.unit.controlplane.conftest import Aws


def _table(aws: Aws, name: str, *, range_key: bool = True) -> str:
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    if range_key:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "sk", "AttributeType": "N"})
    aws.ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=attributes, KeySchema=keys
    )
    return name


def _seed(aws: Aws, table: str, partitions: int, per_partition: int) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    live = aws.backend.get_table(table)
    for p in range(partitions):  # straight into the table: seeding through PutItem is slow
        for s in range(per_partition):
            attrs = {"pk": {"S": f"p{p}"}, "sk": {"N": str(s)}, "d": {"S": "x" * 200}}
            item = Item(DynamoType(attrs["pk"]), DynamoType(attrs["sk"]), attrs)
            live.items[item.hash_key][item.range_key] = item


def _sort_keys(response: dict[str, Any]) -> list[int]:
    return [int(item["sk"]["N"]) for item in response["Items"]]


QUERY_CASES = [
    # (name, extra Query arguments, expected sort keys of partition p1)
    ("a whole partition in key order", {}, list(range(10))),
    ("a range condition", {"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b"}, [3, 4, 5, 6]),
    ("backwards", {"ScanIndexForward": False}, list(range(9, -1, -1))),
    ("a page of three", {"Limit": 3}, [0, 1, 2]),
    ("a filter", {"FilterExpression": "sk > :a"}, [4, 5, 6, 7, 8, 9]),
]


@pytest.mark.parametrize(("name", "extra", "expected"), QUERY_CASES, ids=[c[0] for c in QUERY_CASES])
def test_a_key_query_returns_exactly_its_partition(
    aws: Aws, name: str, extra: dict[str, Any], expected: list[int]
) -> None:
    table = _table(aws, "query-cases")
    _seed(aws, table, partitions=3, per_partition=10)
    values = {":p": {"S": "p1"}, ":a": {"N": "3"}, ":b": {"N": "6"}}
    condition = extra.pop("KeyConditionExpression", "pk = :p")
    used = {k: v for k, v in values.items() if k in condition or k in extra.get("FilterExpression", "")}
    response = aws.ddb.query(
        TableName=table, KeyConditionExpression=condition, ExpressionAttributeValues=used, **extra
    )
    assert _sort_keys(response) == expected
    assert {item["pk"]["S"] for item in response["Items"]} <= {"p1"}


def test_pages_continue_where_the_last_one_stopped(aws: Aws) -> None:
    table = _table(aws, "query-pages")
    _seed(aws, table, partitions=3, per_partition=10)
    seen: list[int] = []
    start: dict[str, Any] | None = None
    for _ in range(10):
        page = aws.ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p2"}},
            Limit=4,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        seen += _sort_keys(page)
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert seen == list(range(10))


@pytest.mark.parametrize(("partition", "expected"), [("p0", 1), ("absent", 0)])
def test_a_hash_only_table_answers_its_one_item_or_none(aws: Aws, partition: str, expected: int) -> None:
    table = _table(aws, "query-hash-only", range_key=False)
    aws.ddb.put_item(TableName=table, Item={"pk": {"S": "p0"}})
    aws.ddb.put_item(TableName=table, Item={"pk": {"S": "p1"}})
    response = aws.ddb.query(
        TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": partition}}
    )
    assert response["Count"] == expected


def _timed_query(aws: Aws, table: str) -> float:
    started = time.perf_counter()
    aws.backend.query(table, {"S": "p7"}, None, [], None, None, True, None)
    return time.perf_counter() - started


def test_a_large_table_does_not_make_a_query_slower(aws: Aws) -> None:
    small, large = _table(aws, "query-small"), _table(aws, "query-large")
    _seed(aws, small, partitions=10, per_partition=5)
    _seed(aws, large, partitions=1000, per_partition=5)
    timings: dict[str, list[float]] = {small: [], large: []}
    for _ in range(31):  # interleaved, so load on the machine hits both sides alike
        for table in (small, large):
            timings[table].append(_timed_query(aws, table))
    # moto's own Query lists and sorts every item of the table: about 100x slower at 5,000 items than at 50.
    assert statistics.median(timings[large]) < 2 * statistics.median(timings[small])


def test_a_query_never_sees_a_writer_change_the_table_under_it(aws: Aws) -> None:
    table = _table(aws, "query-race")
    _seed(aws, table, partitions=1000, per_partition=1)
    errors: list[BaseException] = []
    stop = threading.Event()

    def write() -> None:
        i = 0
        while not stop.is_set():  # a new partition each time: the item dict changes size
            aws.backend.put_item(table, {"pk": {"S": f"new{i}"}, "sk": {"N": "0"}})
            i += 1

    writer = threading.Thread(target=write)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so an unlocked read would meet the writer mid-scan
    writer.start()
    try:
        for _ in range(40):
            try:
                aws.backend.scan(table, {}, None, None, None, {}, {}, None, False, None, (None, None))
            except RuntimeError as exc:  # "dictionary changed size during iteration"
                errors.append(exc)
    finally:
        stop.set()
        writer.join(timeout=60)
        sys.setswitchinterval(switch)
    assert errors == []
