"""The payload format 1.0 event, the REST API proxy shape (http-api-develop-integrations-lambda, "1.0").

Where AWS's page and captured HTTP API 1.0 events disagree, the emulator follows the captured events:
- header names keep the client's spelling (the page says "lowercased"; AWS's own events show `User-Agent`);
  names are grouped case-insensitively under the first spelling seen;
- `headers` and `queryStringParameters` hold the last value of a repeated name, the `multiValue*` fields
  every value in order (as REST documents; the page's example shows the first value for the query);
- empty `queryStringParameters`, `multiValueQueryStringParameters`, `pathParameters`, `stageVariables` and
  `body` are null, never left out; cookies stay in the headers (1.0 has no `cookies` field);
- `resource`, `requestContext.resourcePath` are the route's path and `requestContext.resourceId` its route
  key (all three `$default` for the `$default` route); `path` is the raw path, stage prefix included;
- `requestContext.authorizer` is `{"claims", "scopes"}` for JWT routes and absent otherwise.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from emulator.apigw.context import RequestContext
from emulator.apigw.event_common import clf_time, event_body, protocol
from emulator.apigw.model import DEFAULT_ROUTE_KEY

# requestContext.identity fields an HTTP API never fills (IAM and Cognito identities are REST-only here).
_IDENTITY_NULLS = (
    "accessKey",
    "accountId",
    "caller",
    "cognitoAmr",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "principalOrgId",
)


class _MultiMap:
    """Single-value (last wins) and multi-value views of repeated names, grouped case-insensitively."""

    def __init__(self, case_insensitive: bool) -> None:
        self._fold = str.lower if case_insensitive else str
        self._names: dict[str, str] = {}
        self.single: dict[str, str] = {}
        self.multi: dict[str, list[str]] = {}

    def add(self, name: str, value: str) -> None:
        key = self._names.setdefault(self._fold(name), name)
        self.single[key] = value
        self.multi.setdefault(key, []).append(value)

    def replace(self, name: str, value: str) -> None:
        key = self._names.setdefault(self._fold(name), name)
        self.single[key] = value
        self.multi[key] = [value]

    def get(self, name: str) -> str | None:
        key = self._names.get(self._fold(name))
        return None if key is None else self.single[key]


def build_event(ctx: RequestContext) -> dict[str, Any]:
    """The payload format 1.0 event for this request."""
    request, api, stage, route = ctx["request"], ctx["api"], ctx["stage"], ctx["route"]
    headers = _MultiMap(case_insensitive=True)
    for name, value in request.headers.items():
        headers.add(name, value)
    forwarded = headers.get("X-Forwarded-For")
    headers.replace("X-Forwarded-For", f"{forwarded}, {ctx['source_ip']}" if forwarded else ctx["source_ip"])
    if headers.get("X-Forwarded-Port") is None and request.url.port is not None:
        headers.add("X-Forwarded-Port", str(request.url.port))
    if headers.get("X-Forwarded-Proto") is None:
        headers.add("X-Forwarded-Proto", request.scheme)

    query = _MultiMap(case_insensitive=False)
    for key, value in parse_qsl(ctx["raw_query"], keep_blank_values=True):
        query.add(key, value)

    resource = route.path or DEFAULT_ROUTE_KEY
    domain = ctx["domain_name"]
    identity: dict[str, Any] = dict.fromkeys(_IDENTITY_NULLS)
    identity.update(sourceIp=ctx["source_ip"], user=None, userAgent=request.headers.get("User-Agent", ""))
    identity["userArn"] = None
    request_context: dict[str, Any] = {"accountId": api.account_id, "apiId": api.id}
    principal = ctx.get("principal")
    if principal is not None:
        request_context["authorizer"] = {"claims": principal["claims"], "scopes": principal["scopes"]}
    request_context.update(
        {
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "extendedRequestId": ctx["request_id"],
            "httpMethod": ctx["method"],
            "identity": identity,
            "path": ctx["raw_path"],
            "protocol": protocol(ctx),
            "requestId": ctx["request_id"],
            "requestTime": clf_time(ctx["time_epoch_ms"]),
            "requestTimeEpoch": ctx["time_epoch_ms"],
            "resourceId": route.route_key,
            "resourcePath": resource,
            "stage": stage.name,
        }
    )
    body, binary = event_body(ctx)
    return {
        "version": "1.0",
        "resource": resource,
        "path": ctx["raw_path"],
        "httpMethod": ctx["method"],
        "headers": headers.single,
        "multiValueHeaders": headers.multi,
        "queryStringParameters": query.single or None,
        "multiValueQueryStringParameters": query.multi or None,
        "requestContext": request_context,
        "pathParameters": ctx["path_parameters"] or None,
        "stageVariables": stage.variables or None,
        "body": body,
        "isBase64Encoded": binary,
    }
