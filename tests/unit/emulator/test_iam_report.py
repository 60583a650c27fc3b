"""iam-report: aggregation, grant hints and document decoding over fakes (no moto)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from emulator.iam_report import (
    NO_CALLS,
    SERVICE_NOTE,
    Grant,
    Record,
    aggregate,
    allow_grants,
    decode_document,
    grant_hints,
    parse_record,
    render,
    report,
    unchecked_statements,
)

ROLE = "arn:aws:iam::123456789012:role/fn"
T1 = "arn:aws:dynamodb:us-east-1:123456789012:table/t1"
T2 = "arn:aws:dynamodb:us-east-1:123456789012:table/t2"
Q = "arn:aws:sqs:us-east-1:123456789012:q"


def _line(action: str, resource: str, decision: str = "allow", **extra: Any) -> str:
    fields = {
        "time": "2026-12-03T16:40:32.136Z",
        "function": extra.pop("function", "myfn"),
        "principal": "arn:aws:sts::123456789012:assumed-role/fn/myfn",
        "role": ROLE,
        "operation": action.partition(":")[2],
        "action": action,
        "resource": resource,
        "decision": decision,
        "statement": extra.pop("statement", "p/0" if decision == "allow" else ""),
        "enforced": False,
        **extra,
    }
    return json.dumps(fields)


def _rec(action: str, resource: str, decision: str = "allow", **extra: Any) -> Record:
    record = parse_record(_line(action, resource, decision, **extra))
    assert record is not None
    return record


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# -- aggregation ------------------------------------------------------------------------------------------

AGGREGATION_CASES = [
    pytest.param(
        [
            _rec("dynamodb:PutItem", T1),
            _rec("dynamodb:PutItem", T1),
            _rec("dynamodb:PutItem", T2, statement="p/w"),
        ],
        "allowed",
        {("dynamodb:PutItem", T1, "p/0"): 2, ("dynamodb:PutItem", T2, "p/w"): 1},
        id="allowed-by-resource-and-statement",
    ),
    pytest.param(
        [
            _rec("s3:GetObject", "arn:aws:s3:::b/k", "implicit-deny"),
            _rec("s3:GetObject", "arn:aws:s3:::b/k", "implicit-deny"),
            _rec("dynamodb:DeleteItem", T1, "explicit-deny", statement="p/NoDelete"),
        ],
        "denied",
        {
            ("s3:GetObject", "arn:aws:s3:::b/k", "implicit-deny", ""): 2,
            ("dynamodb:DeleteItem", T1, "explicit-deny", "p/NoDelete"): 1,
        },
        id="denied-by-decision",
    ),
    pytest.param(
        [
            _rec(
                "dynamodb:Query",
                T1,
                "undecided",
                reason="policy variables are not evaluated: ${aws:username}",
            )
        ],
        "undecided",
        {("dynamodb:Query", T1, "policy variables are not evaluated: ${aws:username}"): 1},
        id="undecided-with-reason",
    ),
    pytest.param(
        [_rec("s3:GetObject", "arn:aws:s3:::b/k", "implicit-deny")],
        "allowed",
        {},
        id="denied-is-not-used",
    ),
]


@pytest.mark.parametrize(("records", "counter", "expected"), AGGREGATION_CASES)
def test_aggregate(records: list[Record], counter: str, expected: dict[tuple[str, ...], int]) -> None:
    calls = aggregate(records)["myfn"]
    assert dict(getattr(calls, counter)) == expected
    assert calls.roles == {ROLE}


def test_aggregate_splits_functions_and_skips_lines_that_are_not_decisions() -> None:
    records = [
        parse_record(m, "stream-fn") for m in (_line("sqs:SendMessage", Q, function="other"), "not json")
    ]
    no_function = parse_record(json.dumps({"action": "sqs:ReceiveMessage", "decision": "allow"}), "stream-fn")
    assert records[1] is None and no_function is not None
    functions = aggregate([r for r in records if r is not None] + [no_function])
    assert sorted(functions) == ["other", "stream-fn"]


# -- grants and hints -------------------------------------------------------------------------------------

HINT_CASES = [
    pytest.param(
        {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": T1},
        [("dynamodb:PutItem", T1)],
        ["used"],
        id="exact-grant-used",
    ),
    pytest.param(
        {
            "Effect": "Allow",
            "Action": ["dynamodb:Put*", "dynamodb:?etItem"],
            "Resource": "arn:aws:dynamodb:*:*:table/t?",
        },
        [("dynamodb:PutItem", T1), ("dynamodb:GetItem", T2)],
        ["used", "used"],
        id="wildcards-matched",
    ),
    pytest.param(
        {"Effect": "Allow", "Action": "DynamoDB:putitem", "Resource": T1},
        [("dynamodb:PutItem", T1)],
        ["used"],
        id="actions-case-insensitive",
    ),
    pytest.param(
        {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": T1.upper()},
        [("dynamodb:PutItem", T1)],
        ["unused"],
        id="resources-case-sensitive",
    ),
    pytest.param(
        {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:DeleteItem"], "Resource": [T1, T2]},
        [("dynamodb:PutItem", T1)],
        ["used", "unused", "unused", "unused"],
        id="unused-pairs-listed",
    ),
    pytest.param(
        {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "arn:aws:dynamodb:*:*:table/t1[0]"},
        [("dynamodb:PutItem", "arn:aws:dynamodb:x:y:table/t10")],
        ["unused"],
        id="brackets-are-literal",
    ),
    pytest.param(
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "dynamodb:ListStreams", "KMS:Decrypt"],
            "Resource": "*",
        },
        [],
        ["service", "service", "service", "service"],
        id="service-used-grants-annotated",
    ),
    pytest.param(
        {"Effect": "Allow", "Action": ["dynamodb:GetRecords", "sqs:SendMessage"], "Resource": "*"},
        [],
        ["unused", "unused"],
        id="stream-reads-and-dlq-sends-are-recorded-so-unused-ones-are-hints",
    ),
    pytest.param(
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": Q},
        [("sqs:SendMessage", Q)],
        ["used"],
        id="service-action-called-by-code-is-used",
    ),
    pytest.param(
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": T1},
        [("dynamodb:PutItem", "arn:other")],
        ["unused"],
        id="unused-wildcard-covering-service-actions",
    ),
    pytest.param(
        {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"},
        [],
        [],
        id="deny-statements-are-no-grants",
    ),
]


@pytest.mark.parametrize(("statement", "used", "statuses"), HINT_CASES)
def test_grant_hints(statement: dict[str, Any], used: list[tuple[str, str]], statuses: list[str]) -> None:
    hints = grant_hints(allow_grants("p", _policy(statement)), used)
    assert [h.status for h in hints] == statuses


def test_unused_wildcard_names_the_service_actions_it_covers() -> None:
    (hint,) = grant_hints([Grant("p/0", "dynamodb:*", T1)], [])
    assert hint.covers == ("dynamodb:ListStreams",)


def test_grants_are_labelled_like_the_gate_and_not_statements_are_set_aside() -> None:
    document = _policy(
        {"Sid": "Write", "Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": T1},
        {"Effect": "Allow", "Action": "sqs:*", "Resource": Q},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
    )
    assert allow_grants("p", document) == [
        Grant("p/Write", "dynamodb:PutItem", T1),
        Grant("p/1", "sqs:*", Q),
    ]
    assert unchecked_statements("p", document) == ["p/2"]


# -- documents --------------------------------------------------------------------------------------------

STATEMENT = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": T1}

DOCUMENT_CASES = [
    pytest.param(_policy(STATEMENT), id="dict"),
    pytest.param(json.dumps(_policy(STATEMENT)), id="json-string"),
    pytest.param(quote(json.dumps(_policy(STATEMENT))), id="url-encoded-string"),
    pytest.param({"Version": "2012-10-17", "Statement": STATEMENT}, id="single-statement-object"),
]


@pytest.mark.parametrize("document", DOCUMENT_CASES)
def test_decode_document(document: Any) -> None:
    assert decode_document(document)["Statement"] in (STATEMENT, [STATEMENT])
    assert allow_grants("p", document) == [Grant("p/0", "dynamodb:GetItem", T1)]


# -- the report, with fake clients -------------------------------------------------------------------------


def _client_error(code: str, op: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} happened"}}, op)


class FakeLogs:
    def __init__(self, messages: list[str] | None) -> None:
        self.messages = messages

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        if self.messages is None:
            raise _client_error("ResourceNotFoundException", "FilterLogEvents")
        return {"events": [{"message": m, "logStreamName": "myfn", "timestamp": 0} for m in self.messages]}


class FakeIam:
    def __init__(self, inline: dict[str, Any], managed: dict[str, Any], fail: str = "") -> None:
        self.inline, self.managed, self.fail = inline, managed, fail

    def list_role_policies(self, RoleName: str, **_: Any) -> dict[str, Any]:
        if self.fail:
            raise _client_error(self.fail, "ListRolePolicies")
        return {"PolicyNames": sorted(self.inline), "IsTruncated": False}

    def get_role_policy(self, RoleName: str, PolicyName: str) -> dict[str, Any]:
        return {"PolicyDocument": self.inline[PolicyName]}

    def list_attached_role_policies(self, RoleName: str, **_: Any) -> dict[str, Any]:
        arns = [f"arn:aws:iam::123456789012:policy/{name}" for name in sorted(self.managed)]
        return {"AttachedPolicies": [{"PolicyArn": a, "PolicyName": a.rpartition("/")[2]} for a in arns]}

    def get_policy(self, PolicyArn: str) -> dict[str, Any]:
        return {"Policy": {"DefaultVersionId": "v2"}}

    def get_policy_version(self, PolicyArn: str, VersionId: str) -> dict[str, Any]:
        return {
            "PolicyVersion": {"Document": self.managed[PolicyArn.rpartition("/")[2]], "VersionId": VersionId}
        }


MESSAGES = [
    _line("dynamodb:PutItem", T1),
    _line("dynamodb:PutItem", T1),
    _line("dynamodb:GetItem", T2, statement="reads/0"),
    _line("s3:GetObject", "arn:aws:s3:::bucket/key", "implicit-deny"),
    _line("dynamodb:DeleteItem", T1, "explicit-deny", statement="p/NoDelete"),
    _line("dynamodb:Query", T1, "undecided", statement="p/Own", reason="policy variables are not evaluated"),
]
INLINE = {
    "p": _policy(
        {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"], "Resource": T1},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"},
    )
}
MANAGED = {
    "reads": quote(json.dumps(_policy({"Effect": "Allow", "Action": "dynamodb:Get*", "Resource": "*"})))
}

EXPECTED = f"""\
function myfn
  role {ROLE}
  actions used:
    dynamodb:GetItem  1 call
      {T2}  1 call  allowed by reads/0
    dynamodb:PutItem  2 calls
      {T1}  2 calls  allowed by p/0
  denied:
    dynamodb:DeleteItem  {T1}  explicit-deny by p/NoDelete  1 call
    s3:GetObject  arn:aws:s3:::bucket/key  implicit-deny  1 call
  undecided:
    dynamodb:Query  {T1}  1 call  reason: policy variables are not evaluated
  least privilege: 2 of 5 granted action/resource pairs used
    dynamodb:UpdateItem  {T1}  (p/0)  never used
    logs:CreateLogStream  *  (p/1)  {SERVICE_NOTE}
    logs:PutLogEvents  *  (p/1)  {SERVICE_NOTE}
"""


def _run(logs: FakeLogs, iam: FakeIam) -> tuple[int, str]:
    out: list[str] = []
    clients = {"logs": logs, "iam": iam}
    code = report(clients.__getitem__, since_ms=0, write=out.append)
    return code, "".join(out)


def test_report_prints_each_function() -> None:
    assert _run(FakeLogs(MESSAGES), FakeIam(INLINE, MANAGED)) == (0, EXPECTED)


@pytest.mark.parametrize(
    ("logs", "iam", "code", "stdout", "stderr"),
    [
        pytest.param(FakeLogs(None), FakeIam({}, {}), 0, NO_CALLS, "", id="no-log-group"),
        pytest.param(FakeLogs([]), FakeIam({}, {}), 0, "in the --since window", "", id="nothing-in-window"),
        pytest.param(
            FakeLogs(MESSAGES[:1]),
            FakeIam({}, {}, fail="NoSuchEntity"),
            0,
            "its grants were not checked",
            "",
            id="role-gone",
        ),
        pytest.param(
            FakeLogs(MESSAGES[:1]),
            FakeIam({}, {}, fail="AccessDenied"),
            1,
            "",
            "emulator iam-report: An error occurred (AccessDenied)",
            id="boto-error",
        ),
    ],
)
def test_report_edges(
    logs: FakeLogs, iam: FakeIam, code: int, stdout: str, stderr: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result, out = _run(logs, iam)
    err = capsys.readouterr().err
    assert result == code
    assert stdout in out and (stdout or not out)
    assert stderr in err and (stderr or not err)
    assert "\n" not in err.rstrip("\n")


def test_render_is_stable() -> None:
    functions = aggregate(r for r in map(parse_record, reversed(MESSAGES)) if r is not None)
    policies: dict[str, list[tuple[str, Any]] | None] = {
        ROLE: [("p", INLINE["p"]), ("reads", MANAGED["reads"])]
    }
    assert render(functions, policies) == EXPECTED
