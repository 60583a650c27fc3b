"""Lambda resource-policy check: may API Gateway (this API, stage, method, path) invoke the function?

AWS: without a statement allowing `apigateway.amazonaws.com` to `lambda:InvokeFunction` for the request's
source ARN `arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>` the integration fails
and the client gets 500 {"message":"Internal Server Error"} (http-api-troubleshooting-lambda). For the
`$default` route the source ARN ends in `/<stage>/$default`; for other routes `<path>` is the route's path
template without its leading slash (e.g. `GET/books/{id}`); an `ANY` route uses the request's method.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from emulator.apigw.model import DEFAULT_ROUTE_KEY, Route

log = logging.getLogger(__name__)

_SERVICE = "apigateway.amazonaws.com"
_INVOKE_ACTIONS = ("lambda:invokefunction", "lambda:*", "*")


def source_arn(region: str, account: str, api_id: str, stage: str, method: str, route: Route) -> str:
    """The execute-api ARN API Gateway presents to Lambda for this request."""
    base = f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}"
    if route.route_key == DEFAULT_ROUTE_KEY:
        return f"{base}/$default"
    verb = method if route.method == "ANY" else route.method
    return f"{base}/{verb}/{route.path.lstrip('/')}"


def _wildcard(text: str, any_run: str) -> str:
    return "".join(any_run if ch == "*" else "[^:]" if ch == "?" else re.escape(ch) for ch in text)


def _arn_like(pattern: str) -> re.Pattern[str]:
    """IAM ArnLike: each of the six colon-delimited ARN parts is matched on its own ('*' never crosses ':',
    except in the last part, the resource, which may itself contain ':')."""
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        return re.compile(r"(?!)")  # not an ARN: matches nothing, as IAM does
    head = ":".join(_wildcard(part, "[^:]*") for part in parts[:5])
    return re.compile(head + ":" + _wildcard(parts[5], ".*") + r"\Z", re.DOTALL)


def _string_like(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z"
    )


@dataclass(frozen=True)
class _Statement:
    allow: bool
    source_patterns: tuple[re.Pattern[str], ...] | None  # None: no SourceArn condition
    source_accounts: tuple[str, ...] | None


@dataclass
class LambdaPolicy:
    """A function's resource policy, reduced to the statements that concern API Gateway."""

    statements: tuple[_Statement, ...] = ()
    _decisions: dict[tuple[str, str], bool] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, document: str | dict[str, Any] | None) -> LambdaPolicy:
        if not document:
            return cls()
        policy = json.loads(document) if isinstance(document, str) else document
        raw = policy.get("Statement", [])
        statements = [s for s in (_parse_statement(item) for item in _as_list(raw)) if s is not None]
        return cls(tuple(statements))

    def allows(self, arn: str, account: str) -> bool:
        """True when some Allow statement matches and no Deny statement does."""
        key = (arn, account)
        decision = self._decisions.get(key)
        if decision is None:
            matching = [s for s in self.statements if _matches(s, arn, account)]
            decision = any(s.allow for s in matching) and not any(not s.allow for s in matching)
            if len(self._decisions) < 4096:  # bounded: source ARNs are per route, not per request path
                self._decisions[key] = decision
        return decision


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _parse_statement(item: Any) -> _Statement | None:
    if not isinstance(item, dict):
        return None
    actions = [str(a).lower() for a in _as_list(item.get("Action", []))]
    if not any(a in _INVOKE_ACTIONS for a in actions):
        return None
    principal = item.get("Principal")
    services: list[str] = []
    if principal == "*":
        services = ["*"]
    elif isinstance(principal, dict):
        services = [str(p) for p in _as_list(principal.get("Service", []))]
        services += ["*" for p in _as_list(principal.get("AWS", [])) if p == "*"]
    if _SERVICE not in services and "*" not in services:
        return None
    patterns: list[re.Pattern[str]] | None = None
    accounts: list[str] | None = None
    for operator, block in (item.get("Condition") or {}).items():
        op = operator.lower()
        for key, values in (block or {}).items():
            key_l = key.lower()
            vals = [str(v) for v in _as_list(values)]
            if key_l == "aws:sourcearn":
                if op == "arnlike":
                    patterns = (patterns or []) + [_arn_like(v) for v in vals]
                elif op == "stringlike":
                    patterns = (patterns or []) + [_string_like(v) for v in vals]
                elif op in ("arnequals", "stringequals"):
                    patterns = (patterns or []) + [re.compile(re.escape(v) + r"\Z") for v in vals]
                else:
                    log.debug("unsupported condition %s on %s: statement ignored", operator, key)
                    return None
            elif key_l == "aws:sourceaccount":
                accounts = (accounts or []) + vals
    return _Statement(
        allow=str(item.get("Effect", "Allow")) == "Allow",
        source_patterns=tuple(patterns) if patterns is not None else None,
        source_accounts=tuple(accounts) if accounts is not None else None,
    )


def _matches(statement: _Statement, arn: str, account: str) -> bool:
    if statement.source_patterns is not None and not any(p.match(arn) for p in statement.source_patterns):
        return False
    return statement.source_accounts is None or account in statement.source_accounts
