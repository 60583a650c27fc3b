"""Which action on which resource a signed request needs, per operation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from controlplane.iam_requests import Signer, authorizations, operation, signer

ACCOUNT = "123456789012"
DDB = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:"
AUTH = (
    "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261203/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)

CASES: list[tuple[str, str, str, dict[str, Any], list[tuple[str, str | None]]]] = [
    (
        "GetItem names its table",
        "dynamodb",
        "GetItem",
        {"TableName": "books"},
        [("dynamodb:GetItem", DDB + "table/books")],
    ),
    (
        "a table given as an ARN",
        "dynamodb",
        "PutItem",
        {"TableName": DDB + "table/books"},
        [("dynamodb:PutItem", DDB + "table/books")],
    ),
    (
        "Query on an index names the index",
        "dynamodb",
        "Query",
        {"TableName": "books", "IndexName": "by_title"},
        [("dynamodb:Query", DDB + "table/books/index/by_title")],
    ),
    (
        "a write transaction is its items' own actions",
        "dynamodb",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "events"}},
                {"Update": {"TableName": "claims"}},
                {"ConditionCheck": {"TableName": "events"}},
                {"Delete": {"TableName": "events"}},
                {"Put": {"TableName": "events"}},
            ]
        },
        [
            ("dynamodb:PutItem", DDB + "table/events"),
            ("dynamodb:UpdateItem", DDB + "table/claims"),
            ("dynamodb:ConditionCheckItem", DDB + "table/events"),
            ("dynamodb:DeleteItem", DDB + "table/events"),
        ],
    ),
    (
        "a read transaction is GetItem",
        "dynamodb",
        "TransactGetItems",
        {"TransactItems": [{"Get": {"TableName": "books"}}]},
        [("dynamodb:GetItem", DDB + "table/books")],
    ),
    (
        "a batch names every table",
        "dynamodb",
        "BatchWriteItem",
        {"RequestItems": {"b": [], "a": []}},
        [("dynamodb:BatchWriteItem", DDB + "table/a"), ("dynamodb:BatchWriteItem", DDB + "table/b")],
    ),
    ("ListTables has no resource", "dynamodb", "ListTables", {}, [("dynamodb:ListTables", "*")]),
    (
        "a stream by its ARN",
        "dynamodb",
        "DescribeStream",
        {"StreamArn": DDB + "table/books/stream/2026"},
        [("dynamodb:DescribeStream", DDB + "table/books/stream/2026")],
    ),
    (
        "GetRecords by moto's iterator",
        "dynamodb",
        "GetRecords",
        {"ShardIterator": DDB + "table/books/stream/2026|1|abc"},
        [("dynamodb:GetRecords", DDB + "table/books/stream/2026")],
    ),
    (
        "PutLogEvents names the stream",
        "logs",
        "PutLogEvents",
        {"logGroupName": "/aws/lambda/f", "logStreamName": "s"},
        [("logs:PutLogEvents", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/f:log-stream:s")],
    ),
    (
        "SQS by its queue URL",
        "sqs",
        "SendMessage",
        {"QueueUrl": f"http://localhost:4566/{ACCOUNT}/dlq"},
        [("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq")],
    ),
    (
        "KMS by key id",
        "kms",
        "Decrypt",
        {"KeyId": "0b1c6d3e-1111-2222-3333-444455556666"},
        [("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0b1c6d3e-1111-2222-3333-444455556666")],
    ),
    ("KMS by alias: resource unknown", "kms", "Encrypt", {"KeyId": "alias/x"}, [("kms:Encrypt", None)]),
    ("a table-less DynamoDB call: resource unknown", "dynamodb", "GetItem", {}, [("dynamodb:GetItem", None)]),
    ("a service without a resource map: unknown", "lambda", "Invoke", {}, [("lambda:Invoke", None)]),
]


@pytest.mark.parametrize(
    ("service", "op", "params", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_request_needs_its_operations_actions_on_its_resources(
    service: str, op: str, params: dict[str, Any], expected: list[tuple[str, str | None]]
) -> None:
    found = authorizations(Signer("ASIA", "us-east-1", service), op, json.dumps(params).encode(), ACCOUNT)
    assert [(a.action, a.resource) for a in found] == expected


def test_a_transaction_sets_the_enclosing_operation() -> None:
    body = json.dumps({"TransactItems": [{"Put": {"TableName": "events"}}]}).encode()
    (found,) = authorizations(Signer("ASIA", "us-east-1", "dynamodb"), "TransactWriteItems", body, ACCOUNT)
    assert found.context == {"dynamodb:EnclosingOperation": ("TransactWriteItems",)}


def test_the_signer_is_read_from_the_credential_scope() -> None:
    assert signer(AUTH) == Signer("ASIAEXAMPLE", "us-east-1", "dynamodb")
    assert signer("Bearer x") is None and signer("") is None


@pytest.mark.parametrize(
    ("target", "query", "body", "content_type", "expected"),
    [
        ("DynamoDB_20120810.GetItem", "", b"{}", "application/x-amz-json-1.0", "GetItem"),
        (
            "",
            "",
            b"Action=AssumeRole&Version=2011-06-15",
            "application/x-www-form-urlencoded; charset=utf-8",
            "AssumeRole",
        ),
        ("", "Action=ListRoles", b"", "", "ListRoles"),
    ],
    ids=["JSON target", "query body", "query string"],
)
def test_the_operation_comes_from_the_target_or_the_action(
    target: str, query: str, body: bytes, content_type: str, expected: str
) -> None:
    assert operation(target, query, body, content_type) == expected
