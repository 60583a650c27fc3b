"""Integrate step: check the Lambda resource policy, build the payload format 2.0 event, invoke the function.

Event shape per AWS (http-api-develop-integrations-lambda, format 2.0): header names lower-cased and repeated
headers joined with commas; repeated query keys joined with commas; Cookie headers moved to `cookies`;
`pathParameters`, `queryStringParameters`, `cookies`, `body` and `stageVariables` omitted when empty; binary
bodies base64-encoded with `isBase64Encoded: true`; requestContext.time as dd/MMM/yyyy:HH:mm:ss +0000.
The integration timeout (TimeoutInMillis, 30 s max) is 503 {"message":"Service Unavailable"}, which is what
HTTP APIs answer (a REST API would answer 504). The function's own timeout is different: Lambda reports it as an
unhandled function error (Sandbox.Timedout), so the API answers it like any function error, 500.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

from emulator.apigw.api_registry import unqualified
from emulator.apigw.context import RequestContext
from emulator.apigw.errors import IntegrationError, IntegrationTimeout
from emulator.apigw.lambda_permission import source_arn
from emulator.invocation import InvocationResult, InvocationStatus, Invoker

log = logging.getLogger(__name__)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TEXT_TYPES = ("json", "xml", "javascript", "x-www-form-urlencoded", "yaml", "graphql", "csv", "html")


def clf_time(epoch_ms: int) -> str:
    """dd/MMM/yyyy:HH:mm:ss +0000 in English whatever the locale (requestContext.time, $context.requestTime)."""
    t = time.gmtime(epoch_ms / 1000)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def is_text(content_type: str) -> bool:
    """Bodies API Gateway passes as text; everything else (or no content type) goes base64-encoded."""
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime.startswith("text/") or any(kind in mime for kind in _TEXT_TYPES)


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
            "protocol": f"HTTP/{request.version.major}.{request.version.minor}",
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
    body = ctx["body"]
    binary = False
    if body:
        text = None
        if is_text(request.headers.get("Content-Type", "")):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        binary = text is None
        event["body"] = base64.b64encode(body).decode("ascii") if binary else text
    if ctx["path_parameters"]:
        event["pathParameters"] = ctx["path_parameters"]
    event["isBase64Encoded"] = binary
    if stage.variables:
        event["stageVariables"] = stage.variables
    return event


def _collect(task: asyncio.Future[InvocationResult]) -> None:
    # The function keeps running after API Gateway gives up (as on AWS); retrieve its outcome quietly.
    if not task.cancelled() and task.exception() is not None:
        log.debug("abandoned invocation failed: %r", task.exception())


class InvokeIntegration:
    """Pipeline step: sets ctx["function_payload"] from a successful invocation or raises 500/503."""

    def __init__(self, invoker: Invoker) -> None:
        self._invoker = invoker

    async def __call__(self, ctx: RequestContext) -> None:
        api, route = ctx["api"], ctx["route"]
        integration = api.integrations.get(route.integration_id)
        if integration is None:
            raise self._fail(ctx, f"route {route.route_key} has no integration")
        if integration.type != "AWS_PROXY" or not integration.function_arn:
            raise self._fail(
                ctx,
                f"integration {integration.id} ({integration.type} {integration.uri}) is not a Lambda proxy",
            )
        if integration.payload_format_version != "2.0":
            raise self._fail(
                ctx, f"payload format {integration.payload_format_version!r} is not supported (2.0 only)"
            )
        arn = source_arn(api.region, api.account_id, api.id, ctx["stage"].name, ctx["method"], route)
        policy = ctx["snapshot"].policies.get(unqualified(integration.function_arn))
        if policy is None or not policy.allows(arn, api.account_id):
            raise self._fail(
                ctx,
                f"The IAM role configured on the integration or API Gateway doesn't have permissions to call the integration. Check the permissions and try again. (no Lambda permission for {arn})",
            )
        payload = json.dumps(build_event(ctx), separators=(",", ":")).encode()
        ctx["event"] = payload
        started = time.perf_counter()
        task = asyncio.ensure_future(self._invoker.invoke(integration.function_arn, payload))
        try:
            result = await asyncio.wait_for(asyncio.shield(task), integration.timeout_ms / 1000)
        except TimeoutError:
            task.add_done_callback(_collect)
            ctx["integration_latency_ms"] = int((time.perf_counter() - started) * 1000)
            ctx["integration_error"] = f"Lambda did not answer within {integration.timeout_ms} ms"
            raise IntegrationTimeout(ctx["integration_error"]) from None
        ctx["integration_latency_ms"] = int((time.perf_counter() - started) * 1000)
        if result.status is InvocationStatus.OK:
            ctx["integration_status"] = "200"
            ctx["function_payload"] = result.payload
            return
        if result.status in (InvocationStatus.FUNCTION_ERROR, InvocationStatus.TIMEOUT):
            ctx["integration_status"] = "200"
            raise self._fail(
                ctx, f"The Lambda function returned an error: {result.payload[:500].decode(errors='replace')}"
            )
        ctx["integration_status"] = "404" if result.status is InvocationStatus.NOT_FOUND else "429"
        raise self._fail(ctx, f"Lambda invocation failed: {result.status.value} ({integration.function_arn})")

    @staticmethod
    def _fail(ctx: RequestContext, message: str) -> IntegrationError:
        ctx["integration_error"] = message
        return IntegrationError(message)
