"""Immutable snapshot of what the control plane holds: HTTP APIs, routes, integrations, authorizers, stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.apigw.lambda_permission import LambdaPolicy
    from emulator.apigw.router import RouteTable

DEFAULT_ROUTE_KEY = "$default"
DEFAULT_STAGE = "$default"


@dataclass(frozen=True)
class Authorizer:
    """A JWT authorizer (other types are kept so routes using them fail closed)."""

    id: str
    name: str
    type: str
    identity_source: tuple[str, ...]
    issuer: str
    audience: tuple[str, ...]


@dataclass(frozen=True)
class Integration:
    """An AWS_PROXY Lambda integration; `function_arn` is "" when the URI names no Lambda function."""

    id: str
    type: str
    uri: str
    function_arn: str
    payload_format_version: str
    timeout_ms: int


@dataclass(frozen=True)
class Route:
    """One route; `method` is "ANY" or a verb, `path` is "" for $default."""

    id: str
    route_key: str
    method: str
    path: str
    integration_id: str
    authorization_type: str
    authorizer_id: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Throttle:
    """Token bucket settings: steady rate per second and bucket size."""

    rate: float
    burst: int


@dataclass(frozen=True)
class Stage:
    """A stage: variables, access-log destination and throttling (default and per route key)."""

    name: str
    variables: dict[str, str] = field(default_factory=dict)
    access_log_group: str = ""
    access_log_format: str = ""
    default_throttle: Throttle | None = None
    route_throttles: dict[str, Throttle] = field(default_factory=dict)

    def throttle_for(self, route_key: str) -> Throttle | None:
        return self.route_throttles.get(route_key, self.default_throttle)


@dataclass(frozen=True)
class Api:
    """An HTTP API with everything needed to serve it; `routes` is precompiled for matching."""

    id: str
    name: str
    account_id: str
    region: str
    routes: RouteTable
    integrations: dict[str, Integration]
    authorizers: dict[str, Authorizer]
    stages: dict[str, Stage]


@dataclass(frozen=True)
class Snapshot:
    """Everything the request path reads; replaced whole on each refresh, never mutated."""

    apis: dict[str, Api] = field(default_factory=dict)
    # Lambda resource policies keyed by unqualified function ARN.
    policies: dict[str, LambdaPolicy] = field(default_factory=dict)
    # Raw control-plane read kept for debugging (`repr` only).
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
