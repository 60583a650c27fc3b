"""IAM policy evaluation: one row per documented rule (reference_policies_evaluation-logic.html and the
condition operator reference)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from controlplane.iam_policy import Effect, NamedPolicy, Request, evaluate

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/books"
OTHER = "arn:aws:dynamodb:us-east-1:123456789012:table/other"


def allow(action: Any = "dynamodb:GetItem", resource: Any = TABLE, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "dynamodb:GetItem", resource: Any = TABLE, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


CASES = [
    # (id, statements, request, expected effect)
    ("no statement allows: implicit deny", [], Request("dynamodb:GetItem", TABLE), Effect.IMPLICIT_DENY),
    ("an exact allow", [allow()], Request("dynamodb:GetItem", TABLE), Effect.ALLOW),
    ("another action is not allowed", [allow()], Request("dynamodb:PutItem", TABLE), Effect.IMPLICIT_DENY),
    ("another table is not allowed", [allow()], Request("dynamodb:GetItem", OTHER), Effect.IMPLICIT_DENY),
    (
        "an explicit deny beats an allow",
        [allow(), deny()],
        Request("dynamodb:GetItem", TABLE),
        Effect.EXPLICIT_DENY,
    ),
    (
        "a deny of another action leaves the allow",
        [allow(), deny("dynamodb:PutItem")],
        Request("dynamodb:GetItem", TABLE),
        Effect.ALLOW,
    ),
    (
        "actions are case-insensitive",
        [allow("DynamoDB:getitem")],
        Request("dynamodb:GetItem", TABLE),
        Effect.ALLOW,
    ),
    (
        "resources are case-sensitive",
        [allow(resource=TABLE.upper())],
        Request("dynamodb:GetItem", TABLE),
        Effect.IMPLICIT_DENY,
    ),
    ("* in an action", [allow("dynamodb:Get*")], Request("dynamodb:GetItem", TABLE), Effect.ALLOW),
    (
        "? in an action matches one character",
        [allow("dynamodb:?etItem")],
        Request("dynamodb:GetItem", TABLE),
        Effect.ALLOW,
    ),
    (
        "* in a resource",
        [allow(resource="arn:aws:dynamodb:*:*:table/bo*")],
        Request("dynamodb:GetItem", TABLE),
        Effect.ALLOW,
    ),
    (
        "a table grant does not cover its index",
        [allow("dynamodb:Query")],
        Request("dynamodb:Query", TABLE + "/index/by_title"),
        Effect.IMPLICIT_DENY,
    ),
    (
        "an action list",
        [allow(["dynamodb:PutItem", "dynamodb:GetItem"])],
        Request("dynamodb:GetItem", TABLE),
        Effect.ALLOW,
    ),
    (
        "NotAction allows the others",
        [{"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": "*"}],
        Request("dynamodb:GetItem", TABLE),
        Effect.ALLOW,
    ),
    (
        "NotAction excludes its own",
        [{"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": "*"}],
        Request("dynamodb:DeleteItem", TABLE),
        Effect.IMPLICIT_DENY,
    ),
    (
        "NotResource denies everything else",
        [allow("*", "*"), {"Effect": "Deny", "Action": "*", "NotResource": TABLE}],
        Request("dynamodb:GetItem", OTHER),
        Effect.EXPLICIT_DENY,
    ),
    (
        "NotResource spares its own",
        [allow("*", "*"), {"Effect": "Deny", "Action": "*", "NotResource": TABLE}],
        Request("dynamodb:GetItem", TABLE),
        Effect.ALLOW,
    ),
    (
        "a failed condition on an allow does not deny",
        [allow(Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})],
        Request("dynamodb:GetItem", TABLE, {"aws:RequestedRegion": ["us-east-1"]}),
        Effect.IMPLICIT_DENY,
    ),
    (
        "a failed condition on a deny does not deny",
        [allow(), deny(Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})],
        Request("dynamodb:GetItem", TABLE, {"aws:RequestedRegion": ["us-east-1"]}),
        Effect.ALLOW,
    ),
    (
        "a condition that holds",
        [allow(Condition={"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}})],
        Request("dynamodb:GetItem", TABLE, {"aws:RequestedRegion": ["us-east-1"]}),
        Effect.ALLOW,
    ),
    (
        "condition keys are case-insensitive",
        [allow(Condition={"StringEquals": {"AWS:requestedregion": "us-east-1"}})],
        Request("dynamodb:GetItem", TABLE, {"aws:RequestedRegion": ["us-east-1"]}),
        Effect.ALLOW,
    ),
    (
        "a missing key fails a positive operator",
        [allow(Condition={"StringEquals": {"dynamodb:EnclosingOperation": "TransactWriteItems"}})],
        Request("dynamodb:PutItem", TABLE),
        Effect.IMPLICIT_DENY,
    ),
    (
        "a missing key satisfies a negated operator",
        [
            allow(
                "dynamodb:PutItem",
                Condition={"StringNotEquals": {"dynamodb:EnclosingOperation": "TransactWriteItems"}},
            )
        ],
        Request("dynamodb:PutItem", TABLE),
        Effect.ALLOW,
    ),
    (
        "IfExists holds on a missing key",
        [allow(Condition={"StringEqualsIfExists": {"dynamodb:EnclosingOperation": "X"}})],
        Request("dynamodb:GetItem", TABLE),
        Effect.ALLOW,
    ),
    (
        "Null true on a missing key",
        [allow(Condition={"Null": {"dynamodb:EnclosingOperation": "true"}})],
        Request("dynamodb:GetItem", TABLE),
        Effect.ALLOW,
    ),
    (
        "Null false on a present key",
        [allow("dynamodb:PutItem", Condition={"Null": {"dynamodb:EnclosingOperation": "false"}})],
        Request("dynamodb:PutItem", TABLE, {"dynamodb:EnclosingOperation": ["TransactWriteItems"]}),
        Effect.ALLOW,
    ),
    (
        "transactions only (AWS's example 2)",
        [
            allow(
                "dynamodb:PutItem",
                Condition={
                    "ForAnyValue:StringEquals": {
                        "dynamodb:EnclosingOperation": ["TransactWriteItems", "TransactGetItems"]
                    }
                },
            )
        ],
        Request("dynamodb:PutItem", TABLE, {"dynamodb:EnclosingOperation": ["TransactWriteItems"]}),
        Effect.ALLOW,
    ),
    (
        "transactions only: a bare PutItem",
        [
            allow(
                "dynamodb:PutItem",
                Condition={
                    "ForAnyValue:StringEquals": {"dynamodb:EnclosingOperation": ["TransactWriteItems"]}
                },
            )
        ],
        Request("dynamodb:PutItem", TABLE),
        Effect.IMPLICIT_DENY,
    ),
    (
        "StringLike with a wildcard",
        [allow(Condition={"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/local-*"}})],
        Request(
            "dynamodb:GetItem", TABLE, {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/local-books"]}
        ),
        Effect.ALLOW,
    ),
    (
        "ArnLike",
        [allow(Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/*"}})],
        Request("dynamodb:GetItem", TABLE, {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/x"]}),
        Effect.ALLOW,
    ),
    (
        "Bool",
        [deny(Condition={"Bool": {"aws:SecureTransport": "false"}}), allow()],
        Request("dynamodb:GetItem", TABLE, {"aws:SecureTransport": ["false"]}),
        Effect.EXPLICIT_DENY,
    ),
    (
        "NumericLessThan",
        [allow(Condition={"NumericLessThan": {"aws:EpochTime": "2000000000"}})],
        Request("dynamodb:GetItem", TABLE, {"aws:EpochTime": ["1800000000"]}),
        Effect.ALLOW,
    ),
    (
        "DateGreaterThan",
        [allow(Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})],
        Request("dynamodb:GetItem", TABLE, {"aws:CurrentTime": ["2026-12-03T12:00:00Z"]}),
        Effect.ALLOW,
    ),
    (
        "two operators must both hold",
        [
            allow(
                Condition={
                    "StringEquals": {"aws:RequestedRegion": "us-east-1"},
                    "Bool": {"aws:SecureTransport": "true"},
                }
            )
        ],
        Request(
            "dynamodb:GetItem",
            TABLE,
            {"aws:RequestedRegion": ["us-east-1"], "aws:SecureTransport": ["false"]},
        ),
        Effect.IMPLICIT_DENY,
    ),
    (
        "an unknown condition key is undecided, not denied",
        [allow(Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}})],
        Request("dynamodb:GetItem", TABLE),
        Effect.UNDECIDED,
    ),
    (
        "an undecided deny outranks an allow",
        [allow(), deny(Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}})],
        Request("dynamodb:GetItem", TABLE),
        Effect.UNDECIDED,
    ),
    (
        "a decided allow outranks an undecided allow",
        [allow(Condition={"StringEquals": {"aws:SourceVpce": "v"}}), allow()],
        Request("dynamodb:GetItem", TABLE),
        Effect.ALLOW,
    ),
    (
        "a policy variable is undecided",
        [allow(resource="arn:aws:dynamodb:*:*:table/${aws:username}")],
        Request("dynamodb:GetItem", TABLE),
        Effect.UNDECIDED,
    ),
    (
        "a decided deny outranks anything undecided",
        [deny(), allow(Condition={"StringEquals": {"aws:SourceVpce": "v"}})],
        Request("dynamodb:GetItem", TABLE),
        Effect.EXPLICIT_DENY,
    ),
    (
        "a tag key the request is known to lack is false (ListAliases under a RequestTag condition)",
        [allow("kms:*", "*", Condition={"StringEquals": {"aws:RequestTag/Project": "books-cqrs"}})],
        Request("kms:ListAliases", "*", known=frozenset({"aws:requesttag/*", "aws:tagkeys"})),
        Effect.IMPLICIT_DENY,
    ),
    (
        "a request's tag matches its RequestTag condition",
        [allow("kms:*", "*", Condition={"StringEquals": {"aws:RequestTag/Project": "books-cqrs"}})],
        Request(
            "kms:CreateKey",
            "*",
            {"aws:RequestTag/Project": ["books-cqrs"]},
            known=frozenset({"aws:requesttag/*"}),
        ),
        Effect.ALLOW,
    ),
    (
        "a tag key the request may or may not carry stays undecided",
        [allow("kms:*", "*", Condition={"StringEquals": {"aws:RequestTag/Project": "books-cqrs"}})],
        Request("kms:ListAliases", "*"),
        Effect.UNDECIDED,
    ),
    (
        "a service key the action does not take is false (GetEventSourceMapping under lambda:FunctionArn)",
        [
            allow(
                "lambda:*",
                "*",
                Condition={"ArnLike": {"lambda:FunctionArn": "arn:aws:lambda:*:*:function:*"}},
            )
        ],
        Request("lambda:GetEventSourceMapping", "*", known=frozenset({"lambda:functionarn"})),
        Effect.IMPLICIT_DENY,
    ),
]


@pytest.mark.parametrize(
    ("statements", "request_", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_request_is_decided_as_iam_documents(
    statements: list[dict[str, Any]], request_: Request, expected: Effect
) -> None:
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    assert evaluate([NamedPolicy("p", document)], request_).effect is expected


TRUST = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
TRUST_CASES = [
    ("lambda is trusted", [TRUST], {"Service": "lambda.amazonaws.com"}, Effect.ALLOW),
    ("another service is not", [TRUST], {"Service": "ec2.amazonaws.com"}, Effect.IMPLICIT_DENY),
    (
        "a service list",
        [{**TRUST, "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}}],
        {"Service": "lambda.amazonaws.com"},
        Effect.ALLOW,
    ),
    (
        "an account principal does not cover a service",
        [{**TRUST, "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}],
        {"Service": "lambda.amazonaws.com"},
        Effect.IMPLICIT_DENY,
    ),
    (
        "a deny for lambda",
        [TRUST, {**TRUST, "Effect": "Deny"}],
        {"Service": "lambda.amazonaws.com"},
        Effect.EXPLICIT_DENY,
    ),
]


@pytest.mark.parametrize(
    ("statements", "principal", "expected"), [c[1:] for c in TRUST_CASES], ids=[c[0] for c in TRUST_CASES]
)
def test_a_trust_policy_is_decided_by_its_principal(
    statements: list[dict[str, Any]], principal: dict[str, str], expected: Effect
) -> None:
    policy = NamedPolicy("trust", {"Version": "2012-10-17", "Statement": statements})
    request = Request("sts:AssumeRole", "arn:aws:iam::123456789012:role/fn", principal=principal)
    assert evaluate([policy], request).effect is expected


def test_the_decision_names_the_statement_that_decided() -> None:
    policies = [
        NamedPolicy("a", {"Statement": [allow("dynamodb:PutItem")]}),
        NamedPolicy("b", {"Statement": [{**allow(), "Sid": "Read"}]}),
    ]
    decision = evaluate(policies, Request("dynamodb:GetItem", TABLE))
    assert (decision.effect, decision.statement) == (Effect.ALLOW, "b/Read")


@pytest.mark.parametrize("document", ["not json", '{"Statement": ["x"]}', '["a list"]'])
def test_an_unreadable_policy_is_undecided_not_a_crash(document: str) -> None:
    decision = evaluate([NamedPolicy("resource-policy", document)], Request("dynamodb:GetItem", TABLE))
    assert (decision.effect, decision.reason) == (
        Effect.UNDECIDED,
        "resource-policy is not a valid policy document",
    )


def test_an_undecided_decision_says_why() -> None:
    policy = NamedPolicy("p", {"Statement": [allow(Condition={"StringEquals": {"aws:SourceVpce": "v"}})]})
    decision = evaluate([policy], Request("dynamodb:GetItem", TABLE))
    assert "aws:SourceVpce" in decision.reason and not decision.denied


def test_an_implicit_deny_names_the_allow_whose_condition_failed() -> None:
    tagged = {**allow("kms:*", "*"), "Sid": "CreateTaggedKeys"}
    tagged["Condition"] = {"StringEquals": {"aws:RequestTag/Project": "books-cqrs"}}
    request = Request("kms:ListAliases", "*", known=frozenset({"aws:requesttag/*"}))
    decision = evaluate([NamedPolicy("deploy", {"Statement": [tagged]})], request)
    assert (decision.effect, decision.statement, decision.reason) == (
        Effect.IMPLICIT_DENY,
        "",
        "deploy/CreateTaggedKeys grants it, but its Condition does not hold",
    )
