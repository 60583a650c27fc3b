"""TransactWriteItems on patched moto: all or nothing per item, moto's cancellation reasons, tokens, O(1)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from controlplane import dynamodb_transactions
from tests.unit.controlplane.conftest import Aws

T = "store-tx"


def _table(aws: Aws, name: str = T) -> str:
    aws.ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return name


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": "0"}}


def _put(pk: str, condition: str | None = None, **attrs: Any) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": T, "Item": {**_key(pk), **attrs}}
    if condition:
        put["ConditionExpression"] = condition
    return {"Put": put}


def _state(aws: Aws) -> tuple[list[Any], list[Any]]:
    items = sorted(aws.ddb.scan(TableName=T)["Items"], key=lambda i: i["pk"]["S"])
    shard = aws.backend.get_table(T).stream_shard
    return items, [r.to_json()["dynamodb"]["SequenceNumber"] for r in shard.items]


def _seed(aws: Aws) -> None:
    _table(aws)
    aws.ddb.put_item(TableName=T, Item={**_key("kept"), "n": {"N": "1"}, "s": {"S": "text"}})
    aws.ddb.put_item(TableName=T, Item={**_key("gone"), "n": {"N": "2"}})
    aws.ddb.put_item(TableName=T, Item=_key("held"))


NEW = "attribute_not_exists(pk)"
UPDATE_KEPT = {
    "Update": {
        "TableName": T,
        "Key": _key("kept"),
        "UpdateExpression": "SET n = :v",
        "ExpressionAttributeValues": {":v": {"N": "9"}},
    }
}
DELETE_GONE = {"Delete": {"TableName": T, "Key": _key("gone")}}


@pytest.mark.parametrize(
    ("transact_items", "error"),
    [
        pytest.param(
            [_put("fresh"), UPDATE_KEPT, DELETE_GONE, _put("held", NEW)],
            "TransactionCanceledException",
            id="last-put-condition-fails",
        ),
        pytest.param(
            [
                _put("fresh"),
                UPDATE_KEPT,
                {
                    "ConditionCheck": {
                        "TableName": T,
                        "Key": _key("gone"),
                        "ConditionExpression": "n = :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ],
            "TransactionCanceledException",
            id="condition-check-fails",
        ),
        pytest.param(
            [
                _put("fresh"),
                UPDATE_KEPT,
                DELETE_GONE,
                {
                    "Update": {
                        "TableName": T,
                        "Key": _key("other"),
                        "UpdateExpression": "SET s = s + :v",
                        "ExpressionAttributeValues": {":v": {"N": "1"}},
                    }
                },
            ],
            "ValidationException",
            id="update-fails-while-applying",
        ),
        pytest.param(
            [
                UPDATE_KEPT,
                DELETE_GONE,
                {
                    "Update": {
                        "TableName": T,
                        "Key": _key("kept"),
                        "UpdateExpression": "SET n = :v",
                        "ExpressionAttributeValues": {":v": {"N": "3"}},
                    }
                },
            ],
            "ValidationException",
            id="two-operations-on-one-item",
        ),
    ],
)
def test_a_cancelled_transaction_leaves_items_and_stream_records_as_they_were(
    aws: Aws, transact_items: list[dict[str, Any]], error: str
) -> None:
    _seed(aws)
    before = _state(aws)
    with pytest.raises(ClientError) as raised:
        aws.ddb.transact_write_items(TransactItems=transact_items)
    assert raised.value.response["Error"]["Code"] == error
    assert _state(aws) == before
    aws.ddb.put_item(TableName=T, Item=_key("after"))  # the next record takes the next sequence number
    assert _state(aws)[1] == [*before[1], str(int(before[1][-1]) + 1)]


def _reasons_case(aws: Aws, region_backend: Any, transact: Any, items: list[dict[str, Any]]) -> Any:
    try:
        transact(region_backend, items)
    except Exception as exc:
        outcome: Any = (type(exc).__name__, getattr(exc, "description", str(exc)))
    else:
        outcome = "ok"
    table = region_backend.get_table(T)
    return outcome, sorted(str(i.to_json()) for i in table.all_items())


@pytest.mark.parametrize(
    "transact_items",
    [
        pytest.param([_put("fresh", NEW), UPDATE_KEPT, DELETE_GONE], id="all-succeed"),
        pytest.param([_put("kept", NEW), _put("fresh", NEW), _put("gone", NEW)], id="two-conditions-fail"),
        pytest.param(
            [{"Put": {**_put("kept", NEW)["Put"], "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}],
            id="all-old-returns-the-item",
        ),
        pytest.param(
            [
                {
                    "ConditionCheck": {
                        "TableName": "no-such-table",
                        "Key": _key("kept"),
                        "ConditionExpression": NEW,
                    }
                }
            ],
            id="missing-table",
        ),
        pytest.param([UPDATE_KEPT, {"Delete": {"TableName": T, "Key": _key("kept")}}], id="one-item-twice"),
        pytest.param(
            [{"Put": _put("a")["Put"], "Delete": DELETE_GONE["Delete"]}], id="two-operations-in-one"
        ),
    ],
)
def test_cancellation_reasons_are_the_ones_moto_returns(
    aws: Aws, patched_moto: dict[str, dict[str, Any]], transact_items: list[dict[str, Any]]
) -> None:
    from moto.dynamodb.models import dynamodb_backends

    moto_transact = patched_moto["DynamoDBBackend"]["transact_write_items"]
    outcomes = []
    for region, transact in (
        ("us-east-1", dynamodb_transactions.transact_write_items),
        ("eu-west-1", moto_transact),
    ):
        backend = dynamodb_backends["123456789012"][region]
        backend.create_table(
            T,
            schema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            attr=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            throughput=None,
            billing_mode="PAY_PER_REQUEST",
            indexes=None,
            global_indexes=None,
            streams=None,
            sse_specification=None,
            tags=None,
            deletion_protection_enabled=False,
            warm_throughput=None,
        )
        backend.put_item(T, {**_key("kept"), "n": {"N": "1"}})
        backend.put_item(T, {**_key("gone"), "n": {"N": "2"}})
        outcomes.append(_reasons_case(aws, backend, transact, transact_items))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        pytest.param("same", "replayed", id="same-token-same-payload-is-a-no-op"),
        pytest.param("other", "IdempotentParameterMismatchException", id="same-token-other-payload"),
    ],
)
def test_a_client_request_token_makes_the_transaction_idempotent(
    aws: Aws, second: str, expected: str
) -> None:
    _table(aws)

    def add(amount: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": T,
                "Key": _key("counter"),
                "UpdateExpression": "ADD n :v",
                "ExpressionAttributeValues": {":v": {"N": amount}},
            }
        }

    aws.ddb.transact_write_items(TransactItems=[add("1")], ClientRequestToken="token-1")
    before = _state(aws)
    try:
        aws.ddb.transact_write_items(
            TransactItems=[add("1" if second == "same" else "5")], ClientRequestToken="token-1"
        )
        outcome = "replayed"
    except ClientError as exc:
        outcome = exc.response["Error"]["Code"]
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert outcome == expected
    assert _state(aws) == before  # no second write, no stream record
    aws.ddb.transact_write_items(TransactItems=[add("1")], ClientRequestToken="token-2")
    assert aws.ddb.get_item(TableName=T, Key=_key("counter"))["Item"]["n"] == {"N": "2"}


@pytest.mark.parametrize(
    ("digest", "seconds_later", "replayed"),
    [
        ("same", 599.0, True),
        ("same", 600.0, False),  # 10 minutes on, the token is new again
        ("other", 600.0, False),
    ],
)
def test_a_token_is_remembered_for_ten_minutes(digest: str, seconds_later: float, replayed: bool) -> None:
    tokens = dynamodb_transactions._Tokens()
    tokens.remember("t", "same", now=1000.0)
    assert tokens.replayed("t", digest, now=1000.0 + seconds_later) is replayed
    assert len(tokens) == (1 if replayed else 0)


def _seed_item(table: Any, pk: str) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    item = Item(
        DynamoType({"S": pk}),
        DynamoType({"N": "0"}),
        {"pk": {"S": pk}, "sk": {"N": "0"}, "d": {"S": "x" * 500}},
    )
    table.items[item.hash_key][item.range_key] = item
    table.stream_shard.add(None, item)


def _timed_transaction(backend: Any, table: str, i: int) -> float:
    items = [
        {
            "Put": {
                "TableName": table,
                "Item": {"pk": {"S": f"tx{i}-{n}"}, "sk": {"N": "0"}, "d": {"S": "x" * 500}},
                "ConditionExpression": NEW,
            }
        }
        for n in range(3)
    ]
    started = time.perf_counter()
    backend.transact_write_items(items)
    return time.perf_counter() - started


def test_a_large_table_does_not_make_a_transaction_slower(aws: Aws) -> None:
    small, large = _table(aws, "store-small"), _table(aws, "store-large")
    for table, count in ((small, 50), (large, 5000)):
        for i in range(count):  # straight into the table and its stream: seeding through PutItem is slow
            _seed_item(aws.backend.get_table(table), f"seed{i}")
    timings: dict[str, list[float]] = {small: [], large: []}
    for i in range(41):  # interleaved, so load on the machine hits both sides alike
        for table in (small, large):
            timings[table].append(_timed_transaction(aws.backend, table, i))
    # moto's own transaction deep-copies the table: about 100x slower at 5,000 items than at 50.
    assert statistics.median(timings[large]) < 2 * statistics.median(timings[small])
