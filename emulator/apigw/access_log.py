"""Access logs: the stage's `AccessLogSettings.Format` with `$context.*` substituted, sent to its log group.

Variables as listed in AWS's "Customizing HTTP API access logs" (http-api-logging-variables); a variable the
emulator does not know, or one without a value for this request, becomes "-". Log stream: one per API, stage
and UTC day, `<api-id>_<stage>_<yyyy-mm-dd>` (AWS picks its own stream names; tools should read the group).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from emulator.apigw.context import RequestContext
from emulator.apigw.event_common import clf_time
from emulator.logs.sink import LogSink

log = logging.getLogger(__name__)

_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_:\-]+)*)")


def _claim(name: str) -> Callable[[RequestContext], Any]:
    return lambda ctx: ctx["principal"]["claims"].get(name) if "principal" in ctx else None


_SIMPLE: dict[str, Callable[[RequestContext], Any]] = {
    "accountId": lambda c: c["api"].account_id,
    "apiId": lambda c: c["api"].id,
    "authorizer.error": lambda c: c.get("authorizer_error"),
    "awsEndpointRequestId": lambda c: None,
    "dataProcessed": lambda c: len(c.get("body", b"")) + c.get("response_length", 0),
    "domainName": lambda c: c.get("domain_name"),
    "domainPrefix": lambda c: (c.get("domain_name") or "").split(".", 1)[0] or None,
    "error.message": lambda c: c.get("error_message"),
    "error.messageString": lambda c: json.dumps(c["error_message"]) if c.get("error_message") else None,
    "extendedRequestId": lambda c: c["request_id"],
    "httpMethod": lambda c: c.get("method"),
    "identity.sourceIp": lambda c: c.get("source_ip"),
    "identity.userAgent": lambda c: c["request"].headers.get("User-Agent"),
    "integration.error": lambda c: c.get("integration_error"),
    "integration.integrationStatus": lambda c: c.get("integration_status"),
    "integration.latency": lambda c: c.get("integration_latency_ms"),
    "integration.status": lambda c: c.get("integration_function_status"),
    "integrationErrorMessage": lambda c: c.get("integration_error"),
    "integrationLatency": lambda c: c.get("integration_latency_ms"),
    "integrationStatus": lambda c: c.get("integration_status"),
    "path": lambda c: c.get("raw_path"),
    "protocol": lambda c: f"HTTP/{c['request'].version.major}.{c['request'].version.minor}",
    "requestId": lambda c: c["request_id"],
    "requestTime": lambda c: clf_time(c["time_epoch_ms"]),
    "requestTimeEpoch": lambda c: c["time_epoch_ms"] // 1000,
    "responseLatency": lambda c: c.get("response_latency_ms"),
    "responseLength": lambda c: c.get("response_length"),
    "routeKey": lambda c: c["route"].route_key if "route" in c else None,
    "stage": lambda c: c["stage"].name if "stage" in c else None,
    "status": lambda c: c.get("status"),
}


def variable(ctx: RequestContext, name: str) -> str:
    """One `$context.<name>` value as text; "-" when unknown or empty."""
    if name.startswith("authorizer.claims."):
        getter: Callable[[RequestContext], Any] | None = _claim(name[len("authorizer.claims.") :])
    else:
        getter = _SIMPLE.get(name)
    try:
        value = getter(ctx) if getter is not None else None
    except (KeyError, AttributeError):
        value = None
    return "-" if value is None or value == "" else str(value)


def render(template: str, ctx: RequestContext) -> str:
    def substitute(found: re.Match[str]) -> str:
        name = found.group(1)
        # Longest known name wins, so "$context.status." or "$context.requestId.x" keep their tail text.
        while name not in _SIMPLE and not name.startswith("authorizer.claims.") and "." in name:
            name = name.rsplit(".", 1)[0]
        if name not in _SIMPLE and not name.startswith("authorizer.claims."):
            return "-"
        return variable(ctx, name) + found.group(1)[len(name) :]

    return _VARIABLE.sub(substitute, template)


def stream_name(api_id: str, stage: str, epoch_ms: int) -> str:
    return f"{api_id}_{stage}_{time.strftime('%Y-%m-%d', time.gmtime(epoch_ms / 1000))}"


class AccessLogger:
    """Writes one line per request that reached a stage with access logging configured."""

    def __init__(self, sink: LogSink) -> None:
        self._sink = sink

    def write(self, ctx: RequestContext) -> None:
        stage = ctx.get("stage")
        if stage is None or not stage.access_log_group or not stage.access_log_format:
            return
        try:
            line = render(stage.access_log_format, ctx)
            stream = stream_name(ctx["api"].id, stage.name, ctx["time_epoch_ms"])
            self._sink.put(stage.access_log_group, stream, line, ctx["time_epoch_ms"])
        except Exception:  # an access log must never break the response
            log.exception("access log for request %s failed", ctx.get("request_id"))
