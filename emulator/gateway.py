"""The HTTP API gateway: the request pipeline in order, and the aiohttp app that serves it.

    parse -> route -> throttle -> authorize -> integrate -> respond   (then: access log)

Each step is one module in emulator/apigw/ with its own tests; a step either adds to the per-request
context or raises a GatewayError carrying AWS's exact status and body.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import aiohttp
from aiohttp import web

from emulator.apigw.access_log import AccessLogger
from emulator.apigw.api_registry import ApiRegistry
from emulator.apigw.context import RequestContext
from emulator.apigw.errors import GatewayError
from emulator.apigw.http_errors import PARSER_LIMITS, GatewayRunner, within_header_quota
from emulator.apigw.integration import InvokeIntegration
from emulator.apigw.jwks_cache import AiohttpFetcher, JsonFetcher, JwksCache
from emulator.apigw.jwt_authorizer import AuthorizeRequest, JwtAuthorizer
from emulator.apigw.model import Snapshot
from emulator.apigw.parse import MAX_BODY_BYTES, ParseRequest
from emulator.apigw.response import MapResponse
from emulator.apigw.router import RouteRequest
from emulator.apigw.throttle import ThrottleRequest, Throttles
from emulator.config import Settings
from emulator.invocation import Invoker
from emulator.logs.sink import LogSink

log = logging.getLogger(__name__)

Step = Callable[[RequestContext], Awaitable[None]]

REGISTRY_KEY = web.AppKey("apigw_registry", ApiRegistry)
JWKS_KEY = web.AppKey("apigw_jwks", JwksCache)


def new_request_id() -> str:
    """An id shaped like API Gateway's (16 base64 characters, e.g. "Mc7UVioPPHcEKPA=")."""
    return base64.b64encode(os.urandom(11)).decode("ascii")


class Gateway:
    """Runs the ordered chain for each request and turns GatewayErrors into AWS's responses."""

    def __init__(
        self, registry: ApiRegistry, authorizer: JwtAuthorizer, invoker: Invoker, log_sink: LogSink
    ) -> None:
        self.steps: Sequence[Step] = (
            ParseRequest(registry),  # API by Host, stage by path, body (404, 413)
            RouteRequest(),  # most specific route (404)
            ThrottleRequest(Throttles()),  # stage/route token bucket (429)
            AuthorizeRequest(authorizer),  # JWT authorizer (401, 403)
            InvokeIntegration(invoker),  # Lambda permission, 1.0 or 2.0 event, invoke (500, 503)
            MapResponse(),  # 1.0 or 2.0 response mapping (500 when malformed)
        )
        self._access_log = AccessLogger(log_sink)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ctx: RequestContext = {
            "request": request,
            "request_id": new_request_id(),
            "start_ns": time.perf_counter_ns(),
            "time_epoch_ms": time.time_ns() // 1_000_000,
        }
        try:
            for step in self.steps:
                await step(ctx)
            response = ctx["response"]
        except GatewayError as err:
            ctx["error_message"] = err.message
            response = web.Response(
                status=err.status, body=err.body(), content_type="application/json", headers=err.headers
            )
            # A 5xx is the emulator's or the function's fault, never the client's: say why where a user looks.
            level = logging.WARNING if err.status >= 500 else logging.DEBUG
            log.log(level, "request %s -> %d: %s", ctx["request_id"], err.status, err.detail)
        except Exception:  # a bug in a step must still look like API Gateway, never a stack trace
            log.exception("request %s failed inside the gateway", ctx["request_id"])
            internal = GatewayError("emulator error")
            ctx["error_message"] = internal.message
            response = web.Response(
                status=internal.status, body=internal.body(), content_type="application/json"
            )
        response.headers["apigw-requestid"] = ctx["request_id"]
        ctx["status"] = response.status
        ctx["response_length"] = len(response.body) if isinstance(response.body, bytes | bytearray) else 0
        ctx["response_latency_ms"] = (time.perf_counter_ns() - ctx["start_ns"]) // 1_000_000
        self._access_log.write(ctx)
        return response


def create_gateway_app(
    settings: Settings,
    invoker: Invoker,
    log_sink: LogSink,
    *,
    registry: ApiRegistry | None = None,
    fetcher: JsonFetcher | None = None,
) -> web.Application:
    """The aiohttp app serving every deployed HTTP API; background work lives in its cleanup_ctx.

    `registry` and `fetcher` exist for tests (a registry with a fake loader, a fake JWKS fetcher).
    aiohttp sets TCP_NODELAY on accepted connections, so small responses are not delayed by Nagle.
    """
    app = web.Application(client_max_size=MAX_BODY_BYTES, handler_args=PARSER_LIMITS)
    registry = registry or ApiRegistry(settings)
    session_holder: dict[str, aiohttp.ClientSession] = {}

    async def fetch(url: str) -> object:
        if fetcher is not None:
            return await fetcher(url)
        return await AiohttpFetcher(session_holder["session"])(url)

    jwks = JwksCache(fetch)
    gateway = Gateway(registry, JwtAuthorizer(jwks), invoker, log_sink)
    app[REGISTRY_KEY] = registry
    app[JWKS_KEY] = jwks

    async def warm_issuers(snapshot: Snapshot) -> None:
        issuers = {a.issuer for api in snapshot.apis.values() for a in api.authorizers.values() if a.issuer}
        for issuer in issuers:
            await jwks.warm(issuer)

    registry.on_refresh(warm_issuers)

    async def background(app: web.Application) -> AsyncIterator[None]:
        session_holder["session"] = aiohttp.ClientSession()
        try:
            async with registry.running():
                yield
        finally:
            await session_holder.pop("session").close()

    async def strip_server_header(_request: web.BaseRequest, response: web.StreamResponse) -> None:
        response.headers.popall("Server", None)  # API Gateway sends no Server header

    app.on_response_prepare.append(strip_server_header)
    app.cleanup_ctx.append(background)
    # [\s\S], not ".": a path with %0A decodes to a newline, which "." would leave to aiohttp's own 404.
    app.router.add_route("*", r"/{tail:[\s\S]*}", within_header_quota(gateway.handle))
    return app


@contextlib.asynccontextmanager
async def serve(app: web.Application, host: str, port: int) -> AsyncIterator[web.AppRunner]:
    """Serve `app` on host:port for the block (used by tests; the process wiring may use it too)."""
    runner = GatewayRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield runner
    finally:
        await runner.cleanup()
