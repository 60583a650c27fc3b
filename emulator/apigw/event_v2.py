"""The payload format 2.0 event (http-api-develop-integrations-lambda, "Payload format version").

Header names lower-cased and repeated headers joined with commas; repeated query keys joined with commas;
Cookie headers moved to `cookies`; `pathParameters`, `queryStringParameters`, `cookies`, `body` and
`stageVariables` omitted when empty; binary bodies base64-encoded with `isBase64Encoded: true`;
requestContext.time as dd/MMM/yyyy:HH:mm:ss +0000.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from emulator.apigw.context import RequestContext
from emulator.apigw.event_common import clf_time, event_body, protocol


def build_event(ctx: RequestContext) -> dict[str, Any]:
    """The payload format 2.0 event for this request."""
    request, api, stage, route = ctx["request"], ctx["api"], ctx["stage"], ctx["route"]
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers.items():
        lower = name.lower()
        if lower == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[lower] = f"{headers[lower]},{value}" if lower in headers else value
    port = request.url.port
    headers.setdefault("x-forwarded-proto", request.scheme)
    if port is not None:
        headers.setdefault("x-forwarded-port", str(port))
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {ctx['source_ip']}" if forwarded else ctx["source_ip"]

    query: dict[str, str] = {}
    for key, value in parse_qsl(ctx["raw_query"], keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value

    domain = ctx["domain_name"]
    request_context: dict[str, Any] = {
        "accountId": api.account_id,
        "apiId": api.id,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": ctx["method"],
            "path": ctx["raw_path"],
            "protocol": protocol(ctx),
            "sourceIp": ctx["source_ip"],
            "userAgent": request.headers.get("User-Agent", ""),
        },
        "requestId": ctx["request_id"],
        "routeKey": route.route_key,
        "stage": stage.name,
        "time": clf_time(ctx["time_epoch_ms"]),
        "timeEpoch": ctx["time_epoch_ms"],
    }
    principal = ctx.get("principal")
    if principal is not None:
        request_context["authorizer"] = {
            "jwt": {"claims": principal["claims"], "scopes": principal["scopes"]}
        }

    event: dict[str, Any] = {"version": "2.0", "routeKey": route.route_key, "rawPath": ctx["raw_path"]}
    event["rawQueryString"] = ctx["raw_query"]
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = request_context
    body, binary = event_body(ctx)
    if body is not None:
        event["body"] = body
    if ctx["path_parameters"]:
        event["pathParameters"] = ctx["path_parameters"]
    event["isBase64Encoded"] = binary
    if stage.variables:
        event["stageVariables"] = stage.variables
    return event
