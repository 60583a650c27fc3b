"""IAM policy evaluation as AWS documents it: an explicit Deny wins, then an Allow, else an implicit deny.

Written here rather than reused from moto (moto/iam/access_control.py), which the gate would otherwise call:
moto turns an Allow whose condition fails into a Deny, lets a Deny whose condition fails deny, matches
actions case-sensitively, knows no `?` wildcard, NotResource or condition operator but StringEquals.

Sources: reference_policies_evaluation-logic.html (deny, allow, implicit deny),
reference_policies_elements_condition_operators.html (operators, `...IfExists`, a missing key: false,
except for the negated operators, which are then true), reference_policies_condition-single-vs-multi-valued
-context-keys.html (ForAnyValue / ForAllValues), reference_policies_elements_action.html (actions are
case-insensitive; `*` and `?` wildcards in actions and resources).

What this evaluator cannot decide (a condition key it is never given, an operator or policy variable it does
not implement, NotPrincipal) it reports as UNDECIDED with the reason: the caller allows and logs it, so a
gap here never turns into a deny that AWS would not make.
"""

from __future__ import annotations

import enum
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any


class Effect(enum.Enum):
    """The outcome of evaluating one request against a set of policies."""

    ALLOW = "allow"
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"
    UNDECIDED = "undecided"  # the evaluator lacks what AWS would use; the caller allows and logs why

    @property
    def denied(self) -> bool:
        return self in (Effect.EXPLICIT_DENY, Effect.IMPLICIT_DENY)


@dataclass(frozen=True)
class Request:
    """One authorization: an action on a resource, with the request context's condition keys."""

    action: str
    resource: str = "*"
    # Condition keys, matched case-insensitively; a multi-valued key has several values.
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # For trust and resource policies: the caller's identities by kind, e.g. {"Service": "lambda.amazonaws.com"}
    # or {"AWS": (role ARN, role session ARN)}.
    principal: Mapping[str, str | Sequence[str]] | None = None
    # Condition keys beyond KNOWN_KEYS for which `context` is complete for this request (lower case; a
    # trailing `/*` covers a family, e.g. aws:requesttag/*): one missing from `context` is absent, as on AWS.
    known: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NamedPolicy:
    """A policy document and the name the decision log gives it (e.g. an inline policy's name)."""

    name: str
    document: str | Mapping[str, Any]


@dataclass(frozen=True)
class Decision:
    effect: Effect
    statement: str = ""  # "<policy>/<Sid or statement index>" that decided; empty for an implicit deny
    reason: str = ""  # why it is UNDECIDED; for an IMPLICIT_DENY, the Allow whose Condition failed, if any

    @property
    def denied(self) -> bool:
        return self.effect.denied


class _Undecidable(Exception):
    """A statement uses something this evaluator does not implement."""


def evaluate(policies: Iterable[NamedPolicy], request: Request) -> Decision:
    """Evaluate `request` against every statement of `policies` (identity or resource policies alike)."""
    allow: Decision | None = None
    undecided: dict[bool, Decision] = {}  # is-a-Deny -> the first such statement
    near = ""  # for an implicit deny: the first Allow that names the action and resource but whose Condition fails
    for policy in policies:
        # moto stores some policies unchecked (a table's resource policy): one may not parse.
        statements: list[Any]
        try:
            statements = _statements(policy.document)
        except (ValueError, AttributeError):
            statements = [None]
        for index, statement in enumerate(statements):
            if not isinstance(statement, Mapping):
                # It may hold a Deny: unreadable, it counts as an undecided one (allowed and logged).
                reason = f"{policy.name} is not a valid policy document"
                undecided.setdefault(True, Decision(Effect.UNDECIDED, policy.name, reason))
                continue
            label = f"{policy.name}/{statement.get('Sid') or index}"
            is_deny = statement.get("Effect") == "Deny"
            try:
                applies = _applies(statement, request)
            except _Undecidable as exc:
                undecided.setdefault(is_deny, Decision(Effect.UNDECIDED, label, str(exc)))
                continue
            if applies and is_deny:
                return Decision(Effect.EXPLICIT_DENY, label)
            if applies:
                allow = allow or Decision(Effect.ALLOW, label)
            elif not is_deny and not near and _applies({**statement, "Condition": {}}, request):
                near = f"{label} grants it, but its Condition does not hold"
    # A Deny that might apply outranks any Allow; an Allow that might apply outranks the implicit deny.
    return undecided.get(True) or allow or undecided.get(False) or Decision(Effect.IMPLICIT_DENY, reason=near)


def _statements(document: str | Mapping[str, Any]) -> list[dict[str, Any]]:
    if isinstance(document, str):
        return list(_parse(document))
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


@lru_cache(maxsize=1024)
def _parse(document: str) -> tuple[dict[str, Any], ...]:
    statements = json.loads(document).get("Statement", [])
    return (statements,) if isinstance(statements, dict) else tuple(statements)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "NotPrincipal" in statement:
        raise _Undecidable("NotPrincipal is not evaluated")
    if "Principal" in statement and not _principal_matches(statement["Principal"], request.principal):
        return False
    if not _element_matches(statement, "Action", request.action, _action_matches):
        return False
    if not _element_matches(statement, "Resource", request.resource, _resource_matches):
        return False
    return _conditions_hold(statement.get("Condition") or {}, request.context, request.known)


def _element_matches(statement: Mapping[str, Any], element: str, value: str, matches: Any) -> bool:
    """Action/NotAction or Resource/NotResource: a listed pattern matches (or, for Not..., none does)."""
    if element in statement:
        return any(matches(p, value) for p in _listed(statement[element]))
    if f"Not{element}" in statement:
        return not any(matches(p, value) for p in _listed(statement[f"Not{element}"]))
    return True  # a trust policy names no resource


def _action_matches(pattern: str, action: str) -> bool:
    return _wildcard(pattern, action, fold=True)


def _principal_matches(expected: Any, principal: Mapping[str, str | Sequence[str]] | None) -> bool:
    # An account (`123456789012`, `arn:aws:iam::123456789012:root`) matches no caller here: naming it delegates
    # to the account's identity policies (reference_policies_elements_principal.html, AWS account principals).
    if principal is None:
        return False
    if expected == "*":
        return True
    if not isinstance(expected, Mapping):
        return False
    for kind, values in principal.items():
        identities = (values,) if isinstance(values, str) else tuple(values)
        for candidate in _listed(expected.get(kind)):
            if candidate == "*" or candidate in identities:
                return True
    return False


def _resource_matches(pattern: str, resource: str) -> bool:
    if "${" in pattern:
        raise _Undecidable(f"policy variables are not evaluated: {pattern}")
    return _wildcard(pattern, resource, fold=False)


@lru_cache(maxsize=4096)
def _compiled(pattern: str, fold: bool) -> re.Pattern[str]:
    # IAM's only wildcards are * and ? (fnmatch would also read [..] as a class).
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"(?s:{body})\\Z", re.IGNORECASE if fold else 0)


def _wildcard(pattern: str, value: str, *, fold: bool) -> bool:
    return _compiled(pattern, fold).match(value) is not None


# ----------------------------------------------------------------------------------------------------------
# Conditions
# ----------------------------------------------------------------------------------------------------------


def _conditions_hold(
    conditions: Mapping[str, Any], context: Mapping[str, Sequence[str]], known: frozenset[str]
) -> bool:
    folded = {key.lower(): list(values) for key, values in context.items()}
    for operator, keys in conditions.items():
        if not isinstance(keys, Mapping):
            raise _Undecidable(f"malformed condition block {operator}")
        for key, expected in keys.items():
            if not _condition_holds(operator, key, _listed(expected), folded, known):
                return False  # every operator, and every key under it, must hold (AND)
    return True


def _condition_holds(
    operator: str, key: str, expected: list[str], context: dict[str, list[str]], known: frozenset[str]
) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise _Undecidable(f"unknown set operator {qualifier}")
    lowered = key.lower()
    if not _is_known(lowered, known):
        raise _Undecidable(f"condition key {key} is not in this emulator's request context")
    actual = context.get(lowered)
    if base == "Null":
        wants_null = expected[0].lower() == "true" if expected else True
        return (actual is None) == wants_null
    compare = _OPERATORS.get(base)
    if compare is None:
        raise _Undecidable(f"condition operator {operator} is not implemented")
    negated = base in _NEGATED
    if actual is None:
        if qualifier == "ForAllValues":
            return True  # vacuously true over no values
        return if_exists or (negated and qualifier == "")
    if qualifier == "ForAllValues":
        return all(_any_match(compare, negated, value, expected) for value in actual)
    if qualifier == "ForAnyValue":
        return any(_any_match(compare, negated, value, expected) for value in actual)
    return any(_any_match(compare, negated, value, expected) for value in actual)


def _is_known(key: str, known: frozenset[str]) -> bool:
    if key in KNOWN_KEYS or key in known:
        return True
    return any(k.endswith("/*") and key.startswith(k[:-1]) for k in known)


def _any_match(compare: Any, negated: bool, value: str, expected: list[str]) -> bool:
    """A positive operator holds if any expected value matches; a negated one if none does."""
    matched = any(compare(value, e) for e in expected)
    return not matched if negated else matched


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise _Undecidable(f"not a number: {text}") from exc


def _date(text: str) -> float:
    try:
        return float(text)  # epoch seconds are allowed too
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise _Undecidable(f"not a date: {text}") from exc


def _ip(value: str, expected: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(expected, strict=False)
    except ValueError as exc:
        raise _Undecidable(f"not an address: {value} / {expected}") from exc


# The positive comparison of each operator; a negated operator uses its positive twin's and inverts it.
_POSITIVE: dict[str, Any] = {
    "StringEquals": lambda a, e: a == e,
    "StringEqualsIgnoreCase": lambda a, e: a.lower() == e.lower(),
    "StringLike": lambda a, e: _wildcard(e, a, fold=False),
    "ArnEquals": lambda a, e: _wildcard(e, a, fold=False),  # ArnEquals and ArnLike behave alike
    "ArnLike": lambda a, e: _wildcard(e, a, fold=False),
    "NumericEquals": lambda a, e: _number(a) == _number(e),
    "NumericLessThan": lambda a, e: _number(a) < _number(e),
    "NumericLessThanEquals": lambda a, e: _number(a) <= _number(e),
    "NumericGreaterThan": lambda a, e: _number(a) > _number(e),
    "NumericGreaterThanEquals": lambda a, e: _number(a) >= _number(e),
    "DateEquals": lambda a, e: _date(a) == _date(e),
    "DateLessThan": lambda a, e: _date(a) < _date(e),
    "DateLessThanEquals": lambda a, e: _date(a) <= _date(e),
    "DateGreaterThan": lambda a, e: _date(a) > _date(e),
    "DateGreaterThanEquals": lambda a, e: _date(a) >= _date(e),
    "Bool": lambda a, e: a.lower() == e.lower(),
    "IpAddress": _ip,
}
_NEGATED_OF = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
}
_OPERATORS = {**_POSITIVE, **{neg: _POSITIVE[pos] for neg, pos in _NEGATED_OF.items()}}
_NEGATED = frozenset(_NEGATED_OF)

# Keys the gate puts in the request context whenever AWS would (lower case). A key outside this set is
# UNDECIDED, not missing: the gate cannot tell whether AWS would have had it. Tag keys (aws:RequestTag/...,
# aws:ResourceTag/...) and service keys are outside it: a request that reads them says so (Request.known).
KNOWN_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:userid",
        "aws:requestedregion",
        "aws:securetransport",
        "aws:currenttime",
        "aws:epochtime",
        "aws:viaawsservice",
        "dynamodb:enclosingoperation",
    }
)
