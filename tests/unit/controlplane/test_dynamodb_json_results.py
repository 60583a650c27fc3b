"""Item operations in plain JSON: for each case, the body moto's shape serializer writes, parsed, is the same."""

from __future__ import annotations

import json
from typing import Any

import pytest

from controlplane import dynamodb_json_results
from tests.unit.controlplane.conftest import Aws

TABLE = "json-results"
ITEM = {
    "pk": {"S": "a"},
    "sk": {"N": "1"},
    "n": {"N": "1.50"},
    "b": {"B": b"\x00\xff"},
    "bs": {"BS": [b"x", b"y"]},
    "l": {"L": [{"S": "x"}, {"M": {"k": {"BOOL": True}, "z": {"NULL": True}}}]},
    "ss": {"SS": ["p", "q"]},
    "ns": {"NS": ["1", "2.5"]},
    "u": {"S": 'é \U0001f600 "quoted"'},
    "gsi": {"S": "g"},
}
KEY = {"pk": {"S": "a"}, "sk": {"N": "1"}}

# (case, operation, parameters): the answer to the last call is compared; the item above is in the table.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("get an item of every type", "get_item", {"Key": KEY}),
    ("get a missing item", "get_item", {"Key": {"pk": {"S": "none"}, "sk": {"N": "0"}}}),
    ("get with consumed capacity", "get_item", {"Key": KEY, "ReturnConsumedCapacity": "TOTAL"}),
    ("get with a projection", "get_item", {"Key": KEY, "ProjectionExpression": "n, l[1].k"}),
    ("put, nothing returned", "put_item", {"Item": {**ITEM, "sk": {"N": "2"}}}),
    ("put returning the old item", "put_item", {"Item": ITEM, "ReturnValues": "ALL_OLD"}),
    (
        "put with indexes capacity",
        "put_item",
        {"Item": {**ITEM, "sk": {"N": "3"}}, "ReturnConsumedCapacity": "INDEXES"},
    ),
    (
        "update returning the new values",
        "update_item",
        {
            "Key": KEY,
            "UpdateExpression": "SET n = n + :one, m = :m",
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":m": {"M": {"x": {"L": []}}}},
            "ReturnValues": "UPDATED_NEW",
        },
    ),
    (
        "update returning all old",
        "update_item",
        {"Key": KEY, "UpdateExpression": "REMOVE u", "ReturnValues": "ALL_OLD"},
    ),
    ("delete returning the old item", "delete_item", {"Key": KEY, "ReturnValues": "ALL_OLD"}),
    ("delete a missing item", "delete_item", {"Key": {"pk": {"S": "none"}, "sk": {"N": "0"}}}),
    (
        "query a partition",
        "query",
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}},
    ),
    (
        "query a page, with its last key",
        "query",
        {
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "a"}},
            "Limit": 1,
            "ScanIndexForward": False,
            "ReturnConsumedCapacity": "TOTAL",
        },
    ),
    (
        "query counting",
        "query",
        {
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "a"}},
            "Select": "COUNT",
        },
    ),
    (
        "query an index",
        "query",
        {
            "IndexName": "by-gsi",
            "KeyConditionExpression": "gsi = :g",
            "ExpressionAttributeValues": {":g": {"S": "g"}},
        },
    ),
    ("scan with a filter", "scan", {"FilterExpression": "attribute_exists(ss)"}),
    ("scan nothing", "scan", {"FilterExpression": "attribute_exists(nothing)"}),
    (
        "a transaction",
        "transact_write_items",
        {
            "TransactItems": [
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {**ITEM, "sk": {"N": "9"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": KEY}},
            ],
            "ReturnConsumedCapacity": "TOTAL",
        },
    ),
]


@pytest.fixture
def both(
    aws: Aws, patched_moto: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, Any, Any]]:
    """Answers as (operation, plain JSON, moto's serializer): the client gets the plain one."""
    from moto.core.responses import BaseResponse
    from moto.dynamodb.responses import DynamoHandler

    plain = DynamoHandler.serialized
    seen: list[tuple[str, Any, Any]] = []

    def serialized(self: Any, action_result: Any) -> Any:
        answer = plain(self, action_result)
        seen.append((self._get_action(), answer, BaseResponse.serialized(self, action_result)))
        return answer

    monkeypatch.setattr(DynamoHandler, "serialized", serialized)
    aws.ddb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "gsi", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-gsi",
                "KeySchema": [{"AttributeName": "gsi", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    aws.ddb.put_item(TableName=TABLE, Item=ITEM)
    aws.ddb.put_item(TableName=TABLE, Item={**ITEM, "sk": {"N": "5"}})
    seen.clear()
    return seen


@pytest.mark.parametrize(("case", "operation", "params"), CASES, ids=[c[0] for c in CASES])
def test_the_plain_answer_is_the_serializers(
    aws: Aws, both: list[tuple[str, Any, Any]], case: str, operation: str, params: dict[str, Any]
) -> None:
    table = {} if operation == "transact_write_items" else {"TableName": TABLE}
    getattr(aws.ddb, operation)(**table, **params)
    (name, (status, headers, body), (want_status, want_headers, want_body)) = both[-1]
    assert name in dynamodb_json_results.PLAIN_JSON_OPERATIONS
    assert (status, headers.get("Content-Type")) == (want_status, want_headers.get("Content-Type"))
    assert json.loads(body) == json.loads(want_body)


def test_an_error_answer_never_reaches_the_plain_path(aws: Aws, both: list[tuple[str, Any, Any]]) -> None:
    with pytest.raises(aws.ddb.exceptions.ConditionalCheckFailedException):
        aws.ddb.put_item(TableName=TABLE, Item=ITEM, ConditionExpression="attribute_not_exists(pk)")
    assert both == []  # moto answers DynamoDB's errors before any result is serialized: they are untouched
