"""The per-request context that flows through the pipeline steps (LocalStack's RestApiInvocationContext)."""

from __future__ import annotations

from typing import TypedDict

from aiohttp import web

from emulator.apigw.model import Api, Route, Snapshot, Stage


class JwtPrincipal(TypedDict):
    """What a successful JWT authorizer hands to the integration."""

    claims: dict[str, str]
    """Claims rendered as AWS renders them (every value a string)."""
    scopes: list[str] | None
    """The token's scopes when the route requires scopes, else None (as AWS sends it)."""


class RequestContext(TypedDict, total=False):
    """State of one request; each step reads what earlier steps set and adds its own keys."""

    request: web.Request
    """The aiohttp request as received."""
    request_id: str
    """API Gateway's request id (apigw-requestid header, requestContext.requestId, $context.requestId)."""
    start_ns: int
    """perf_counter_ns() when the request entered the gateway; for responseLatency."""
    time_epoch_ms: int
    """Wall-clock request time in ms since the epoch; for requestContext.timeEpoch and log timestamps."""
    snapshot: Snapshot
    """The control-plane snapshot this request is served from (one consistent view for the whole request)."""
    api: Api
    """The HTTP API selected by Host (parse step)."""
    stage: Stage
    """The stage selected by path prefix, else $default (parse step)."""
    method: str
    """HTTP method, upper case."""
    raw_path: str
    """Path as received, percent-encoded, including any stage prefix (rawPath)."""
    route_path: str
    """Path the routes are matched against: raw_path without the stage prefix."""
    raw_query: str
    """Query string as received, without '?' (rawQueryString)."""
    body: bytes
    """Request body (at most 10 MB)."""
    domain_name: str
    """Host header without port (requestContext.domainName)."""
    source_ip: str
    """Peer address of the TCP connection."""
    route: Route
    """The matched route (route step)."""
    path_parameters: dict[str, str]
    """URL-decoded values of the route's path variables (route step)."""
    principal: JwtPrincipal
    """Set by the authorize step when the route uses a JWT authorizer."""
    authorizer_error: str
    """Why the authorizer denied the request ($context.authorizer.error)."""
    payload_format: str
    """The integration's PayloadFormatVersion ("1.0" or "2.0"): event shape and response mapping."""
    event: bytes
    """The event sent to Lambda, in `payload_format` (integrate step)."""
    integration_status: str
    """Lambda's own status for the invocation ($context.integrationStatus): "200" when it answered."""
    integration_latency_ms: int
    """Time spent waiting for the function ($context.integrationLatency)."""
    integration_error: str
    """Why the integration failed ($context.integrationErrorMessage)."""
    integration_function_status: int
    """Status code the function's response asked for ($context.integration.status)."""
    function_payload: bytes
    """What the function returned (integrate step)."""
    response: web.Response
    """The response for the client (respond step, or built from a GatewayError)."""
    status: int
    """Status sent to the client ($context.status)."""
    response_length: int
    """Body length sent to the client ($context.responseLength)."""
    response_latency_ms: int
    """Time from request to response in ms ($context.responseLatency)."""
    error_message: str
    """API Gateway's own error message when it answered itself ($context.error.message)."""
