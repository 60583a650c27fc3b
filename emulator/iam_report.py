"""`python -m emulator iam-report`: per function, the AWS calls it made, what was denied, and unused grants."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError

from emulator.logs.tail import fetch_events

DECISION_LOG_GROUP = "/emulator/iam/decisions"  # controlplane/iam_gate.py writes it
DENIED = ("explicit-deny", "implicit-deny")
# Actions Lambda itself may call with the execution role that the gate does not see here: logs (the
# emulator ships them with its own keys), ListStreams (documented for stream mappings, not called by the
# poller), KMS and X-Ray. A mapping's stream reads and its DLQ send are signed with the role and recorded.
SERVICE_ACTIONS = (
    "dynamodb:ListStreams",
    "kms:Decrypt",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
)
SERVICE_NOTE = "(used by the Lambda service, not by function code; not recorded here)"
NO_CALLS = f"no function call has been recorded in {DECISION_LOG_GROUP} (IAM_MODE=off, or nothing ran yet)\n"


@dataclass(frozen=True)
class Record:
    """One decision line of the gate."""

    function: str
    role: str
    action: str
    resource: str
    decision: str
    statement: str = ""
    reason: str = ""


@dataclass
class FunctionCalls:
    """A function's calls, counted by what was decided."""

    roles: set[str] = field(default_factory=set)
    allowed: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # action, resource, statement
    denied: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)  # ..., decision, statement
    undecided: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # action, resource, reason


@dataclass(frozen=True)
class Grant:
    """One (action pattern, resource pattern) pair of an Allow statement."""

    statement: str  # "<policy name>/<Sid or statement index>", as the gate labels it
    action: str
    resource: str


@dataclass(frozen=True)
class Hint:
    """Whether a grant was used; `covers` names service actions an unused wildcard grant includes."""

    grant: Grant
    status: str  # "used", "unused" or "service"
    covers: tuple[str, ...] = ()


# -- records ---------------------------------------------------------------------------------------------


def parse_record(message: str, stream: str = "") -> Record | None:
    """A decision line as a Record; None for a line that is not one."""
    try:
        line = json.loads(message)
        return Record(
            function=str(line.get("function") or stream),
            role=str(line.get("role", "")),
            action=str(line["action"]),
            resource=str(line.get("resource") or ""),
            decision=str(line["decision"]),
            statement=str(line.get("statement") or ""),
            reason=str(line.get("reason") or ""),
        )
    except (ValueError, KeyError, AttributeError, TypeError):
        return None


def aggregate(records: Iterable[Record]) -> dict[str, FunctionCalls]:
    """Count each function's calls: allowed by statement, denied by decision, undecided by reason."""
    functions: dict[str, FunctionCalls] = {}
    for record in records:
        calls = functions.setdefault(record.function, FunctionCalls())
        if record.role:
            calls.roles.add(record.role)
        if record.decision == "allow":
            calls.allowed[(record.action, record.resource, record.statement)] += 1
        elif record.decision in DENIED:
            calls.denied[(record.action, record.resource, record.decision, record.statement)] += 1
        else:
            calls.undecided[(record.action, record.resource, record.reason)] += 1
    return functions


# -- grants ----------------------------------------------------------------------------------------------


def decode_document(document: str | Mapping[str, Any]) -> dict[str, Any]:
    """A policy document as a dict: boto3 usually decodes it, but it may be (URL-encoded) JSON text."""
    if isinstance(document, Mapping):
        return dict(document)
    try:
        decoded = json.loads(document)
    except ValueError:
        decoded = json.loads(unquote(document))
    if not isinstance(decoded, dict):
        raise ValueError("a policy document is a JSON object")
    return decoded


def _statements(document: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    statements = document.get("Statement", [])
    listed = [statements] if isinstance(statements, dict) else list(statements)
    return [(str(s.get("Sid") or index), s) for index, s in enumerate(listed) if isinstance(s, dict)]


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def allow_grants(policy: str, document: str | Mapping[str, Any]) -> list[Grant]:
    """Every (Action, Resource) pair of the document's Allow statements (NotAction/NotResource ones aside)."""
    grants = []
    for label, statement in _statements(decode_document(document)):
        if statement.get("Effect") != "Allow" or "NotAction" in statement or "NotResource" in statement:
            continue
        for action in _listed(statement.get("Action")):
            for resource in _listed(statement.get("Resource")):
                grants.append(Grant(f"{policy}/{label}", action, resource))
    return grants


def unchecked_statements(policy: str, document: str | Mapping[str, Any]) -> list[str]:
    """Labels of Allow statements with NotAction or NotResource, which have no pairs to check."""
    return [
        f"{policy}/{label}"
        for label, statement in _statements(decode_document(document))
        if statement.get("Effect") == "Allow" and ("NotAction" in statement or "NotResource" in statement)
    ]


@lru_cache(maxsize=4096)
def _compiled(pattern: str, fold: bool) -> re.Pattern[str]:
    # IAM's only wildcards are * and ?, as in controlplane/iam_policy.py.
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"(?s:{body})\\Z", re.IGNORECASE if fold else 0)


def _matches(grant: Grant, action: str, resource: str) -> bool:
    return bool(
        _compiled(grant.action, True).match(action) and _compiled(grant.resource, False).match(resource)
    )


def grant_hints(grants: Iterable[Grant], used: Iterable[tuple[str, str]]) -> list[Hint]:
    """Each grant as used (an allowed (action, resource) call matched it), service-used, or unused."""
    calls = set(used)
    return [_hint(grant, calls) for grant in grants]


def _hint(grant: Grant, calls: set[tuple[str, str]]) -> Hint:
    if any(_matches(grant, action, resource) for action, resource in calls):
        return Hint(grant, "used")
    if grant.action.lower() in {a.lower() for a in SERVICE_ACTIONS}:
        return Hint(grant, "service")
    covers = tuple(a for a in SERVICE_ACTIONS if _compiled(grant.action, True).match(a))
    return Hint(grant, "unused", covers)


# -- output ----------------------------------------------------------------------------------------------


def _calls(count: int) -> str:
    return f"{count} call" if count == 1 else f"{count} calls"


def _used_lines(calls: FunctionCalls) -> list[str]:
    if not calls.allowed:
        return ["  actions used: none"]
    lines = ["  actions used:"]
    by_action: dict[str, list[tuple[str, str, int]]] = {}
    for (action, resource, statement), count in calls.allowed.items():
        by_action.setdefault(action, []).append((resource, statement, count))
    for action in sorted(by_action, key=lambda a: (a.lower(), a)):
        uses = sorted(by_action[action])
        lines.append(f"    {action}  {_calls(sum(c for _, _, c in uses))}")
        lines += [f"      {r or '*'}  {_calls(c)}  allowed by {s or '?'}" for r, s, c in uses]
    return lines


def _denied_lines(calls: FunctionCalls) -> list[str]:
    lines = []
    if calls.denied:
        lines.append("  denied:")
        for (action, resource, decision, statement), count in sorted(calls.denied.items()):
            by = f" by {statement}" if statement else ""
            lines.append(f"    {action}  {resource or '*'}  {decision}{by}  {_calls(count)}")
    if calls.undecided:
        lines.append("  undecided:")
        for (action, resource, reason), count in sorted(calls.undecided.items()):
            lines.append(f"    {action}  {resource or '*'}  {_calls(count)}  reason: {reason or '?'}")
    return lines


def _hint_line(hint: Hint) -> str:
    grant = hint.grant
    text = f"    {grant.action}  {grant.resource}  ({grant.statement})"
    if hint.status == "service":
        return f"{text}  {SERVICE_NOTE}"
    if hint.covers:
        return f"{text}  never used by function code; the Lambda service uses {', '.join(hint.covers)}"
    return f"{text}  never used"


def hint_lines(hints: list[Hint], unchecked: list[str]) -> list[str]:
    """The least-privilege section: grants that were not used, in a stable order."""
    used = sum(1 for h in hints if h.status == "used")
    lines = [f"  least privilege: {used} of {len(hints)} granted action/resource pairs used"]
    rest = [h for h in hints if h.status != "used"]
    rest.sort(
        key=lambda h: (h.status == "service", h.grant.action.lower(), h.grant.resource, h.grant.statement)
    )
    lines += [_hint_line(h) for h in rest]
    lines += [f"    {label}  not checked (NotAction/NotResource)" for label in sorted(set(unchecked))]
    return lines


def function_lines(
    name: str, calls: FunctionCalls, policies: Mapping[str, list[tuple[str, Any]] | None]
) -> list[str]:
    """The report of one function; `policies` maps each of its roles to (name, document) pairs, or None."""
    lines = [f"function {name}", *(f"  role {role}" for role in sorted(calls.roles))]
    lines += _used_lines(calls) + _denied_lines(calls)
    grants: list[Grant] = []
    unchecked: list[str] = []
    for role in sorted(calls.roles):
        documents = policies.get(role)
        if documents is None:
            lines.append(f"  role {role} is not in IAM; its grants were not checked")
            continue
        for policy, document in documents:
            grants += allow_grants(policy, document)
            unchecked += unchecked_statements(policy, document)
    used = [(action, resource) for action, resource, _ in calls.allowed]
    return lines + hint_lines(grant_hints(grants, used), unchecked)


def render(
    functions: Mapping[str, FunctionCalls], policies: Mapping[str, list[tuple[str, Any]] | None]
) -> str:
    """The whole report, functions in name order, a blank line between them."""
    return "\n\n".join("\n".join(function_lines(n, functions[n], policies)) for n in sorted(functions)) + "\n"


# -- AWS -------------------------------------------------------------------------------------------------


def _paged(call: Callable[..., Any], key: str, **kwargs: Any) -> list[Any]:
    items: list[Any] = []
    while True:
        page = call(**kwargs)
        items += page.get(key, [])
        if not page.get("IsTruncated") or not page.get("Marker"):
            return items
        kwargs["Marker"] = page["Marker"]


def role_policies(iam: Any, role_arn: str) -> list[tuple[str, Any]] | None:
    """The role's inline and attached (default version) policies as (name, document); None if no such role."""
    role = role_arn.rpartition("/")[2]
    try:
        documents = [
            (name, iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
            for name in _paged(iam.list_role_policies, "PolicyNames", RoleName=role)
        ]
        for attached in _paged(iam.list_attached_role_policies, "AttachedPolicies", RoleName=role):
            arn = attached["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            documents.append((arn.rpartition("/")[2], document))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return None
        raise
    return documents


def read_records(logs: Any, since_ms: int) -> list[Record] | None:
    """The decision lines since since_ms; None when the log group does not exist."""
    try:
        events = list(fetch_events(logs, DECISION_LOG_GROUP, since_ms))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    parsed = (parse_record(e.get("message", ""), e.get("logStreamName", "")) for e in events)
    return [r for r in parsed if r is not None]


def report(
    client: Callable[[str], Any], *, since_ms: int, write: Callable[[str], object] = sys.stdout.write
) -> int:
    """Print the report from the control plane's logs and IAM. Returns an exit code."""
    try:
        records = read_records(client("logs"), since_ms)
        if records is None:
            write(NO_CALLS)
            return 0
        if not records:
            write(f"no function call recorded in {DECISION_LOG_GROUP} in the --since window\n")
            return 0
        functions = aggregate(records)
        iam = client("iam")
        roles = sorted({role for calls in functions.values() for role in calls.roles})
        policies = {role: role_policies(iam, role) for role in roles}
        text = render(functions, policies)
    except (BotoCoreError, ClientError, ValueError) as exc:  # ValueError: a policy document that is not JSON
        sys.stderr.write(f"emulator iam-report: {exc}\n")
        return 1
    write(text)
    return 0
