"""The IAM gate in front of moto: who is checked, what a denied call gets, and what is recorded."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from controlplane.iam_gate import (
    KEY_POLICY,
    LAMBDA_SERVICE_ACCESS_KEY,
    NO_PERMISSION_NEEDED,
    RESOURCE_POLICY,
    IamGate,
    Session,
)
from controlplane.iam_policy import NamedPolicy
from emulator.lambdas import role_credentials

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/fn-role"
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/books"
SESSION_KEY = "ASIASESSION"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0b1c6d3e-1111-2222-3333-444455556666"
READ_BOOKS = {
    "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE}]
}
TRUST_LAMBDA = {
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
}


@dataclass
class FakeDirectory:
    """moto's backends, as the gate reads them."""

    policies: list[NamedPolicy] = field(default_factory=lambda: [NamedPolicy("fn-policy", READ_BOOKS)])
    trust: dict[str, Any] | None = field(default_factory=lambda: TRUST_LAMBDA)
    resource: dict[str, Any] | None = None  # the table's resource-based policy
    key_policy: dict[str, Any] | None = None  # KEY's policy
    records: list[dict[str, Any]] = field(default_factory=list)

    def session(self, access_key: str) -> Session | None:
        return Session(ACCOUNT, ROLE, "fn-role", "fn", "AROAEXAMPLE") if access_key == SESSION_KEY else None

    def identity_policies(self, account: str, role_name: str) -> list[NamedPolicy]:
        return self.policies

    def trust_policy(self, account: str, role_name: str) -> list[NamedPolicy] | None:
        return None if self.trust is None else [NamedPolicy("trust-policy", self.trust)]

    def resource_policies(self, resource: str) -> list[NamedPolicy]:
        if resource == KEY and self.key_policy is not None:
            return [NamedPolicy(KEY_POLICY, self.key_policy)]
        table = resource.split("/index/")[0]
        return [NamedPolicy(RESOURCE_POLICY, self.resource)] if self.resource and table == TABLE else []

    def record(self, account: str, region: str, stream: str, line: str) -> None:
        self.records.append(json.loads(line))


@dataclass
class Moto:
    """The app behind the gate: records what reached it."""

    bodies: list[bytes] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.bodies.append(environ["wsgi.input"].read())
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]


def _dynamodb_call(key: str, op: str, params: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(params).encode()
    return {
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential={key}/20261203/us-east-1/dynamodb/aws4_request, Signature=x",
        "HTTP_X_AMZ_TARGET": f"DynamoDB_20120810.{op}",
        "CONTENT_TYPE": "application/x-amz-json-1.0",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "QUERY_STRING": "",
    }


def _assume_role_call(role_arn: str) -> dict[str, Any]:
    body = f"Action=AssumeRole&Version=2011-06-15&RoleArn={role_arn}&RoleSessionName=fn".encode()
    return {
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential={LAMBDA_SERVICE_ACCESS_KEY}/20261203/us-east-1/sts/aws4_request, Signature=x",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "QUERY_STRING": "",
    }


def _call(gate: IamGate, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(gate(environ, start_response))
    return seen["status"], seen["headers"], body


CASES = [
    # (id, mode, access key, operation, params, status, reaches moto, recorded decision)
    (
        "an allowed call reaches moto",
        "enforce",
        SESSION_KEY,
        "GetItem",
        {"TableName": "books"},
        "200 OK",
        True,
        "allow",
    ),
    (
        "a denied call is refused under enforce",
        "enforce",
        SESSION_KEY,
        "PutItem",
        {"TableName": "books"},
        "400 Bad Request",
        False,
        "implicit-deny",
    ),
    (
        "a denied call passes under log",
        "log",
        SESSION_KEY,
        "PutItem",
        {"TableName": "books"},
        "200 OK",
        True,
        "implicit-deny",
    ),
    (
        "nothing is checked under off",
        "off",
        SESSION_KEY,
        "PutItem",
        {"TableName": "books"},
        "200 OK",
        True,
        None,
    ),
    (
        "static keys act as the administrator",
        "enforce",
        "test",
        "PutItem",
        {"TableName": "books"},
        "200 OK",
        True,
        None,
    ),
    (
        "an unknown resource is allowed as undecided",
        "enforce",
        SESSION_KEY,
        "GetItem",
        {},
        "200 OK",
        True,
        "undecided",
    ),
]


@pytest.mark.parametrize(
    ("mode", "key", "op", "params", "status", "reaches", "decision"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_a_function_call_is_authorized_by_mode_and_signer(
    mode: str, key: str, op: str, params: dict[str, Any], status: str, reaches: bool, decision: str | None
) -> None:
    directory, moto = FakeDirectory(), Moto()
    got_status, _, _ = _call(IamGate(moto, mode, directory), _dynamodb_call(key, op, params))
    assert got_status == status
    assert moto.bodies == ([json.dumps(params).encode()] if reaches else [])
    assert [r["decision"] for r in directory.records] == ([decision] if decision else [])


def test_a_refusal_is_dynamodbs_access_denied_with_iams_wording() -> None:
    status, _, body = _call(
        IamGate(Moto(), "enforce", FakeDirectory()),
        _dynamodb_call(SESSION_KEY, "PutItem", {"TableName": "books"}),
    )
    error = json.loads(body)
    assert status == "400 Bad Request"
    assert error["__type"].endswith("#AccessDeniedException")
    assert error["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/fn-role/fn is not authorized to perform: dynamodb:PutItem on "
        f"resource: {TABLE} because no identity-based policy allows the dynamodb:PutItem action"
    )


def test_an_explicit_deny_says_so() -> None:
    deny = {"Statement": [{"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}]}
    directory = FakeDirectory(policies=[NamedPolicy("fn-policy", READ_BOOKS), NamedPolicy("guard", deny)])
    _, _, body = _call(
        IamGate(Moto(), "enforce", directory), _dynamodb_call(SESSION_KEY, "GetItem", {"TableName": "books"})
    )
    assert json.loads(body)["Message"].endswith("with an explicit deny in an identity-based policy")
    assert directory.records[0]["statement"] == "guard/0"


def test_each_record_names_function_action_resource_decision_and_statement() -> None:
    directory = FakeDirectory()
    _call(IamGate(Moto(), "log", directory), _dynamodb_call(SESSION_KEY, "GetItem", {"TableName": "books"}))
    (record,) = directory.records
    assert {
        k: record[k] for k in ("function", "action", "resource", "decision", "statement", "enforced")
    } == {
        "function": "fn",
        "action": "dynamodb:GetItem",
        "resource": TABLE,
        "decision": "allow",
        "statement": "fn-policy/Read",
        "enforced": False,
    }


def _table_policy(effect: str, principal: Any, action: str = "dynamodb:*") -> dict[str, Any]:
    return {
        "Statement": [
            {"Sid": "Table", "Effect": effect, "Principal": principal, "Action": action, "Resource": TABLE}
        ]
    }


SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/fn-role/fn"
RESOURCE_POLICY_CASES = [
    # (id, the table's resource policy, operation, status, recorded decision and statement)
    (
        "naming the role grants what no identity policy does",
        _table_policy("Allow", {"AWS": ROLE}),
        "PutItem",
        "200 OK",
        ("allow", "resource-policy/Table"),
    ),
    (
        "naming the role session grants too",
        _table_policy("Allow", {"AWS": [SESSION_ARN]}),
        "PutItem",
        "200 OK",
        ("allow", "resource-policy/Table"),
    ),
    (
        "naming everyone grants too",
        _table_policy("Allow", "*"),
        "PutItem",
        "200 OK",
        ("allow", "resource-policy/Table"),
    ),
    (
        "naming the account only delegates to identity policies",
        _table_policy("Allow", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        "PutItem",
        "400 Bad Request",
        ("implicit-deny", ""),
    ),
    (
        "naming another role grants nothing",
        _table_policy("Allow", {"AWS": f"arn:aws:iam::{ACCOUNT}:role/other"}),
        "PutItem",
        "400 Bad Request",
        ("implicit-deny", ""),
    ),
    (
        "its deny beats the identity policy's allow",
        _table_policy("Deny", "*", "dynamodb:GetItem"),
        "GetItem",
        "400 Bad Request",
        ("explicit-deny", "resource-policy/Table"),
    ),
    (
        "the identity policy's allow stands when it names others",
        _table_policy("Deny", {"AWS": f"arn:aws:iam::{ACCOUNT}:role/other"}),
        "GetItem",
        "200 OK",
        ("allow", "fn-policy/Read"),
    ),
]


@pytest.mark.parametrize(
    ("resource", "op", "status", "decided"),
    [c[1:] for c in RESOURCE_POLICY_CASES],
    ids=[c[0] for c in RESOURCE_POLICY_CASES],
)
def test_a_resource_policy_in_the_same_account_allows_or_denies_alongside_the_identity_policy(
    resource: dict[str, Any], op: str, status: str, decided: tuple[str, str]
) -> None:
    directory = FakeDirectory(resource=resource)
    got, _, body = _call(
        IamGate(Moto(), "enforce", directory), _dynamodb_call(SESSION_KEY, op, {"TableName": "books"})
    )
    assert got == status
    assert (directory.records[0]["decision"], directory.records[0]["statement"]) == decided
    if decided[0] == "explicit-deny":
        assert json.loads(body)["Message"].endswith("with an explicit deny in a resource-based policy")


@pytest.mark.parametrize(
    ("policies", "status", "decision"),
    [
        ([], "200 OK", "undecided"),
        ([{"Effect": "Deny", "Action": "kms:*", "Resource": "*"}], "403 Forbidden", "explicit-deny"),
        ([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}], "200 OK", "allow"),
    ],
    ids=["no identity grant: the unread key policy may grant it", "an explicit deny still denies", "granted"],
)
def test_a_kms_call_is_never_denied_for_want_of_the_key_policy(
    policies: list[dict[str, Any]], status: str, decision: str
) -> None:
    directory = FakeDirectory(policies=[NamedPolicy("fn-policy", {"Statement": policies})])
    got, _, _ = _call(IamGate(Moto(), "enforce", directory), _kms_call("Decrypt", {"KeyId": KEY}))
    assert (got, directory.records[0]["decision"]) == (status, decision)


def _kms_call(op: str, params: dict[str, Any]) -> dict[str, Any]:
    environ = _dynamodb_call(SESSION_KEY, op, params)
    environ["HTTP_AUTHORIZATION"] = environ["HTTP_AUTHORIZATION"].replace("/dynamodb/", "/kms/")
    environ["HTTP_X_AMZ_TARGET"] = f"TrentService.{op}"
    return environ


ROOT_AND_ROLE_KEY_POLICY = {
    "Statement": [
        {
            "Sid": "Root",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
        },
        {"Sid": "Deployer", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:DescribeKey"},
    ]
}


@pytest.mark.parametrize(
    ("op", "status", "decided"),
    [
        ("DescribeKey", "200 OK", ("allow", f"{KEY_POLICY}/Deployer")),
        ("ScheduleKeyDeletion", "403 Forbidden", ("implicit-deny", "")),
    ],
    ids=["the key policy names the role: allowed", "a read key policy grants nothing else: denied"],
)
def test_a_kms_call_is_decided_with_the_keys_own_policy_when_it_is_read(
    op: str, status: str, decided: tuple[str, str]
) -> None:
    directory = FakeDirectory(policies=[], key_policy=ROOT_AND_ROLE_KEY_POLICY)
    got, _, _ = _call(IamGate(Moto(), "enforce", directory), _kms_call(op, {"KeyId": KEY}))
    assert (got, (directory.records[0]["decision"], directory.records[0]["statement"])) == (status, decided)


def test_a_kms_call_on_no_key_is_denied_without_an_identity_grant() -> None:
    # ListAliases is granted by IAM policies only (kms/latest/developerguide/alias-access.html): no key policy
    # could allow it, so the unread-key-policy exception does not apply.
    directory = FakeDirectory(policies=[])
    got, _, _ = _call(IamGate(Moto(), "enforce", directory), _kms_call("ListAliases", {}))
    assert (got, directory.records[0]["decision"], directory.records[0]["resource"]) == (
        "403 Forbidden",
        "implicit-deny",
        "*",
    )


def test_get_caller_identity_is_allowed_even_under_an_explicit_deny() -> None:
    directory = FakeDirectory(
        policies=[NamedPolicy("p", {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})]
    )
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    environ = {
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential={SESSION_KEY}/20261203/us-east-1/sts/aws4_request, Signature=x",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "QUERY_STRING": "",
    }
    got, _, _ = _call(IamGate(Moto(), "enforce", directory), environ)
    assert (got, directory.records[0]["decision"], directory.records[0]["statement"]) == (
        "200 OK",
        "allow",
        NO_PERMISSION_NEEDED,
    )


TRUST_CASES = [
    ("a role that trusts lambda is assumed", TRUST_LAMBDA, "200 OK"),
    (
        "a role that trusts another service is refused",
        {"Statement": [{**TRUST_LAMBDA["Statement"][0], "Principal": {"Service": "ec2.amazonaws.com"}}]},
        "403 Forbidden",
    ),
    ("a role that does not exist is refused", None, "403 Forbidden"),
]


@pytest.mark.parametrize(("trust", "status"), [c[1:] for c in TRUST_CASES], ids=[c[0] for c in TRUST_CASES])
def test_the_lambda_service_assumes_a_role_only_if_its_trust_policy_allows(
    trust: dict[str, Any] | None, status: str
) -> None:
    got, _, body = _call(IamGate(Moto(), "enforce", FakeDirectory(trust=trust)), _assume_role_call(ROLE))
    assert got == status
    if status != "200 OK":
        assert b"<Code>AccessDenied</Code>" in body


def test_an_unknown_mode_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match="IAM mode must be one of enforce, log, off"):
        IamGate(Moto(), "strict")


def test_the_emulator_signs_as_the_service_key_the_gate_knows() -> None:
    assert role_credentials.LAMBDA_SERVICE_ACCESS_KEY == LAMBDA_SERVICE_ACCESS_KEY


def test_moto_directory_reads_a_tables_and_a_queues_own_policy(aws: Any) -> None:
    import boto3
    from botocore.config import Config

    from controlplane.iam_gate import MotoDirectory

    aws.ddb.create_table(
        TableName="books",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table_policy = json.dumps(_table_policy("Allow", {"AWS": ROLE}))
    aws.ddb.put_resource_policy(ResourceArn=TABLE, Policy=table_policy)
    sqs = boto3.client("sqs", region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
    queue_policy = json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage"}]}
    )
    sqs.create_queue(QueueName="dlq", Attributes={"Policy": queue_policy})
    sqs.create_queue(QueueName="open")
    directory = MotoDirectory()
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:"
    found = {
        resource: [json.loads(p.document) for p in directory.resource_policies(resource)]
        for resource in (
            TABLE,
            f"{TABLE}/index/by_title",
            f"{queue}dlq",
            f"{queue}open",
            "arn:aws:kms:us-east-1:1:key/k",
        )
    }
    assert found == {
        TABLE: [json.loads(table_policy)],
        f"{TABLE}/index/by_title": [json.loads(table_policy)],
        f"{queue}dlq": [json.loads(queue_policy)],
        f"{queue}open": [],
        "arn:aws:kms:us-east-1:1:key/k": [],
    }
