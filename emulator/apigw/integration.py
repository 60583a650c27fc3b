"""Integrate step: check the Lambda resource policy, build the event in the integration's payload format, invoke.

The event builders live in event_v1.py and event_v2.py; `PayloadFormatVersion` (read from the control plane)
picks one. The integration timeout (TimeoutInMillis, 30 s max) is 503 {"message":"Service Unavailable"},
which is what HTTP APIs answer (a REST API would answer 504). The function's own timeout is different: Lambda
reports it as an unhandled function error (Sandbox.Timedout), so the API answers it like any function error,
500. When Lambda rejects the invocation (throttled, or no such function) API Gateway answers 500 too
(lambda/latest/dg/services-apigateway-errors: "If the Lambda API rejects the invocation request, API Gateway
returns a 500 error code").
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from emulator.apigw import event_v1, event_v2
from emulator.apigw.api_registry import unqualified
from emulator.apigw.context import RequestContext
from emulator.apigw.errors import IntegrationError, IntegrationTimeout
from emulator.apigw.lambda_permission import source_arn
from emulator.invocation import InvocationResult, InvocationStatus, Invoker

log = logging.getLogger(__name__)

EventBuilder = Callable[[RequestContext], dict[str, Any]]
# PayloadFormatVersion -> event builder; the respond step maps the answer with the same version.
EVENT_BUILDERS: dict[str, EventBuilder] = {"1.0": event_v1.build_event, "2.0": event_v2.build_event}


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
        build_event = EVENT_BUILDERS.get(integration.payload_format_version)
        if build_event is None:
            raise self._fail(
                ctx,
                f"payload format {integration.payload_format_version!r} is not supported (1.0 or 2.0)",
            )
        arn = source_arn(api.region, api.account_id, api.id, ctx["stage"].name, ctx["method"], route)
        policy = ctx["snapshot"].policies.get(unqualified(integration.function_arn))
        if policy is None or not policy.allows(arn, api.account_id):
            raise self._fail(
                ctx,
                f"The IAM role configured on the integration or API Gateway doesn't have permissions to call the integration. Check the permissions and try again. (no Lambda permission for {arn})",
            )
        ctx["payload_format"] = integration.payload_format_version
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
