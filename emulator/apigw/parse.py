"""Parse step: pick the API (by Host) and stage (by path prefix), read the body (10 MB cap), fill the context.

- One API: served for any Host. Several: Host `{api-id}.execute-api.localhost[:port]` selects one; otherwise
  404 {"message":"Not Found"}.
- Stage (http-api-develop-routes, "Routing API requests"): a first path segment naming a stage selects it and
  is stripped before routing; otherwise the `$default` stage; no `$default` stage is 404.
- Body over the HTTP API payload quota (10 MB) is 413.
- Control plane unreachable at the last refresh: 503 {"message":"Service Unavailable"} (an emulator choice:
  what is deployed is unknown, and the functions could not reach their tables either).
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from emulator.apigw.api_registry import ApiRegistry
from emulator.apigw.context import RequestContext
from emulator.apigw.errors import ControlPlaneUnavailable, NotFound, PayloadTooLarge
from emulator.apigw.model import DEFAULT_STAGE, Api

MAX_BODY_BYTES = 10 * 1024 * 1024
FIRST_LOAD_WAIT_SECONDS = 10.0
HOST_SUFFIX = ".execute-api.localhost"


def select_api(apis: dict[str, Api], host: str) -> Api | None:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name.endswith(HOST_SUFFIX):
        return apis.get(name[: -len(HOST_SUFFIX)])
    if len(apis) == 1:
        return next(iter(apis.values()))
    return None


class ParseRequest:
    """Pipeline step: sets api, stage, method, paths, query, body, domain and source IP."""

    def __init__(self, registry: ApiRegistry) -> None:
        self._registry = registry

    async def __call__(self, ctx: RequestContext) -> None:
        request = ctx["request"]
        if not self._registry.first_attempt.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._registry.first_attempt.wait(), FIRST_LOAD_WAIT_SECONDS)
        if not self._registry.reachable:
            raise ControlPlaneUnavailable(f"control plane unreachable: {self._registry.last_error}")
        snapshot = ctx["snapshot"] = self._registry.snapshot
        host = request.headers.get("Host", "")
        api = select_api(snapshot.apis, host)
        if api is None:
            raise NotFound(f"no HTTP API for Host {host!r} ({len(snapshot.apis)} deployed)")
        ctx["api"] = api
        raw_path = request.rel_url.raw_path or "/"
        ctx["raw_path"] = raw_path
        ctx["raw_query"] = request.rel_url.raw_query_string
        ctx["method"] = request.method.upper()
        first, _, rest = raw_path[1:].partition("/")
        if first and first != DEFAULT_STAGE and first in api.stages:
            ctx["stage"] = api.stages[first]
            ctx["route_path"] = "/" + rest
        elif DEFAULT_STAGE in api.stages:
            ctx["stage"] = api.stages[DEFAULT_STAGE]
            ctx["route_path"] = raw_path
        else:
            raise NotFound(f"api {api.id}: no stage matches {raw_path} and there is no $default stage")
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"Content-Length {request.content_length} exceeds {MAX_BODY_BYTES}")
        try:
            ctx["body"] = await request.read() if request.body_exists else b""
        except web.HTTPRequestEntityTooLarge:
            raise PayloadTooLarge(f"body exceeds {MAX_BODY_BYTES} bytes") from None
        name = host.rsplit(":", 1)[0] if host and not host.endswith("]") else host
        ctx["domain_name"] = name or request.url.host or ""
        ctx["source_ip"] = request.remote or ""
