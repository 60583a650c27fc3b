"""Which action on which resource a signed request needs, per operation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from controlplane.iam_requests import Authorization, Signer, authorizations, operation, signer
from controlplane.rest_operations import rest_operation

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
    (
        "a service without a resource map: unknown",
        "xray",
        "PutTraceSegments",
        {},
        [("xray:PutTraceSegments", None)],
    ),
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


class FakeLookup:
    """The control plane's state, as the mapping reads it."""

    def role_arn(self, account: str, name: str) -> str | None:
        return f"arn:aws:iam::{account}:role/service/{name}" if name == "pathed" else None

    def mapping_function(self, region: str, account: str, uuid: str) -> str | None:
        return f"arn:aws:lambda:{region}:{account}:function:fn" if uuid == "m-1" else None

    def key_arn(self, region: str, account: str, key: str) -> str | None:
        return (
            f"arn:aws:kms:{region}:{account}:key/k-1" if key in ("alias/env", "alias/aws/dynamodb") else None
        )


LAMBDA = f"arn:aws:lambda:us-east-1:{ACCOUNT}:"
KMS = f"arn:aws:kms:us-east-1:{ACCOUNT}:"
APIS = "arn:aws:apigateway:us-east-1::"
TAG_KEYS = frozenset({"aws:requesttag/*", "aws:tagkeys"})
FUNCTION_KEY = frozenset({"lambda:functionarn"})
IAM_FORM = "Version=2010-05-08&Action="
PASS_TO_LAMBDA = {"iam:PassedToService": ("lambda.amazonaws.com",)}

# (id, signing name, operation or "" (REST), method, path, body, expected authorizations)
CONTROL_CASES: list[tuple[str, str, str, str, str, bytes, list[Authorization]]] = [
    (
        "a Lambda REST call is named by its path",
        "lambda",
        "",
        "GET",
        "/2015-03-31/functions/fn",
        b"",
        [Authorization("lambda:GetFunction", LAMBDA + "function:fn", known=TAG_KEYS)],
    ),
    (
        "CreateFunction also passes its role to Lambda",
        "lambda",
        "",
        "POST",
        "/2015-03-31/functions",
        json.dumps({"FunctionName": "fn", "Role": f"arn:aws:iam::{ACCOUNT}:role/r"}).encode(),
        [
            Authorization("lambda:CreateFunction", LAMBDA + "function:fn", known=TAG_KEYS),
            Authorization(
                "iam:PassRole",
                f"arn:aws:iam::{ACCOUNT}:role/r",
                PASS_TO_LAMBDA,
                frozenset({"iam:passedtoservice"}),
            ),
        ],
    ),
    (
        "GetEventSourceMapping is on the mapping and has no lambda:FunctionArn",
        "lambda",
        "",
        "GET",
        "/2015-03-31/event-source-mappings/m-1",
        b"",
        [
            Authorization(
                "lambda:GetEventSourceMapping",
                LAMBDA + "event-source-mapping:m-1",
                known=TAG_KEYS | FUNCTION_KEY,
            )
        ],
    ),
    (
        "DeleteEventSourceMapping carries its function as lambda:FunctionArn",
        "lambda",
        "",
        "DELETE",
        "/2015-03-31/event-source-mappings/m-1",
        b"",
        [
            Authorization(
                "lambda:DeleteEventSourceMapping",
                LAMBDA + "event-source-mapping:m-1",
                {"lambda:FunctionArn": (LAMBDA + "function:fn",)},
                TAG_KEYS | FUNCTION_KEY,
            )
        ],
    ),
    (
        "CreateEventSourceMapping has no resource, only its function",
        "lambda",
        "",
        "POST",
        "/2015-03-31/event-source-mappings",
        json.dumps({"FunctionName": "fn"}).encode(),
        [
            Authorization(
                "lambda:CreateEventSourceMapping",
                "*",
                {"lambda:FunctionArn": (LAMBDA + "function:fn",)},
                TAG_KEYS | FUNCTION_KEY,
            )
        ],
    ),
    (
        "Lambda tags are on the ARN in the path",
        "lambda",
        "",
        "GET",
        "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn",
        b"",
        [Authorization("lambda:ListTags", LAMBDA + "function:fn", known=TAG_KEYS)],
    ),
    (
        "an HTTP API call is its method on its path",
        "apigateway",
        "",
        "PATCH",
        "/v2/apis/a1/stages/%24default",
        b"{}",
        [Authorization("apigateway:PATCH", APIS + "/apis/a1/stages/$default", known=TAG_KEYS)],
    ),
    (
        "creating an HTTP API is POST on /apis, with its tags",
        "apigateway",
        "",
        "POST",
        "/v2/apis",
        json.dumps({"name": "api", "tags": {"Environment": "dev"}}).encode(),
        [
            Authorization(
                "apigateway:POST",
                APIS + "/apis",
                {"aws:RequestTag/Environment": ("dev",), "aws:TagKeys": ("Environment",)},
                TAG_KEYS,
            )
        ],
    ),
    (
        "HTTP API tags are on /tags/<URL-encoded ARN>",
        "apigateway",
        "",
        "GET",
        "/v2/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fapis%2Fa1",
        b"",
        [
            Authorization(
                "apigateway:GET",
                APIS + "/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fapis%2Fa1",
                known=TAG_KEYS,
            )
        ],
    ),
    (
        "an ECR repository by its name",
        "ecr",
        "CreateRepository",
        "POST",
        "/",
        json.dumps({"repositoryName": "repo"}).encode(),
        [
            Authorization(
                "ecr:CreateRepository", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/repo", known=TAG_KEYS
            )
        ],
    ),
    (
        "an IAM role's ARN carries its path",
        "iam",
        "GetRole",
        "POST",
        "/",
        (IAM_FORM + "GetRole&RoleName=pathed").encode(),
        [Authorization("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/service/pathed")],
    ),
    (
        "a role IAM does not have is named without a path",
        "iam",
        "GetRole",
        "POST",
        "/",
        (IAM_FORM + "GetRole&RoleName=gone").encode(),
        [Authorization("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/gone")],
    ),
    (
        "DescribeLogGroups names no group",
        "logs",
        "DescribeLogGroups",
        "POST",
        "/",
        b"{}",
        [
            Authorization(
                "logs:DescribeLogGroups",
                f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group::log-stream:",
                known=TAG_KEYS,
            )
        ],
    ),
    (
        "a log group created with tags needs logs:TagResource too",
        "logs",
        "CreateLogGroup",
        "POST",
        "/",
        json.dumps({"logGroupName": "/aws/lambda/fn", "tags": {"Project": "p"}}).encode(),
        [
            Authorization(
                f"logs:{op}",
                f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/fn",
                {"aws:RequestTag/Project": ("p",), "aws:TagKeys": ("Project",)},
                TAG_KEYS,
            )
            for op in ("CreateLogGroup", "TagResource")
        ],
    ),
    (
        "CreateKey is on * with its tags",
        "kms",
        "CreateKey",
        "POST",
        "/",
        json.dumps({"Tags": [{"TagKey": "Project", "TagValue": "books-cqrs"}]}).encode(),
        [
            Authorization(
                "kms:CreateKey",
                "*",
                {"aws:RequestTag/Project": ("books-cqrs",), "aws:TagKeys": ("Project",)},
                TAG_KEYS,
            )
        ],
    ),
    (
        "ListAliases is on * and carries no tags",
        "kms",
        "ListAliases",
        "POST",
        "/",
        b"{}",
        [Authorization("kms:ListAliases", "*", known=TAG_KEYS)],
    ),
    (
        "an alias operation is on the alias and on its key",
        "kms",
        "CreateAlias",
        "POST",
        "/",
        json.dumps({"AliasName": "alias/env", "TargetKeyId": "alias/env"}).encode(),
        [
            Authorization("kms:CreateAlias", KMS + "alias/env", known=TAG_KEYS),
            Authorization("kms:CreateAlias", KMS + "key/k-1", known=TAG_KEYS),
        ],
    ),
    (
        "a key given by an alias is its key",
        "kms",
        "DescribeKey",
        "POST",
        "/",
        json.dumps({"KeyId": "alias/aws/dynamodb"}).encode(),
        [Authorization("kms:DescribeKey", KMS + "key/k-1", known=TAG_KEYS)],
    ),
    (
        "a queue created with tags needs sqs:TagQueue too",
        "sqs",
        "CreateQueue",
        "POST",
        "/",
        json.dumps({"QueueName": "dlq", "tags": {"Project": "p"}}).encode(),
        [
            Authorization("sqs:CreateQueue", f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"),
            Authorization("sqs:TagQueue", f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"),
        ],
    ),
    (
        "GetCallerIdentity needs no permission",
        "sts",
        "GetCallerIdentity",
        "POST",
        "/",
        b"Action=GetCallerIdentity&Version=2011-06-15",
        [Authorization("sts:GetCallerIdentity", "*", needs_permission=False)],
    ),
]


@pytest.mark.parametrize(
    ("service", "op", "method", "path", "body", "expected"),
    [c[1:] for c in CONTROL_CASES],
    ids=[c[0] for c in CONTROL_CASES],
)
def test_a_deployers_call_needs_its_actions_resources_and_condition_keys(
    service: str, op: str, method: str, path: str, body: bytes, expected: list[Authorization]
) -> None:
    signing = Signer("ASIA", "us-east-1", service)
    op = op or (found.name if (found := rest_operation(service, method, path)) else "")
    got = authorizations(signing, op, body, ACCOUNT, method=method, raw_path=path, lookup=FakeLookup())
    assert got == expected


@pytest.mark.parametrize(
    ("service", "method", "path", "expected"),
    [
        (
            "lambda",
            "GET",
            "/2015-03-31/functions/fn/versions",
            ("ListVersionsByFunction", {"FunctionName": "fn"}),
        ),
        ("lambda", "GET", "/2015-03-31/event-source-mappings", ("ListEventSourceMappings", {})),
        ("apigateway", "DELETE", "/v2/apis/a1/routes/r1", ("DeleteRoute", {"apiId": "a1", "routeId": "r1"})),
        ("apigateway", "GET", "/v2/apis", ("GetApis", {})),
    ],
    ids=["a sub-resource", "a collection", "two path parameters", "the most specific template wins"],
)
def test_a_rest_operation_is_read_from_the_service_model(
    service: str, method: str, path: str, expected: tuple[str, dict[str, str]]
) -> None:
    found = rest_operation(service, method, path)
    assert found is not None and (found.name, found.params) == expected
