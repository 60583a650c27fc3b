"""Respond step: map the function's answer with the mapping of the integration's payload format."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from multidict import CIMultiDict

from emulator.apigw import response_v1, response_v2
from emulator.apigw.context import RequestContext
from emulator.apigw.errors import IntegrationError

Mapper = Callable[[bytes], tuple[int, CIMultiDict[str], bytes]]
MAPPERS: dict[str, Mapper] = {"1.0": response_v1.map_response, "2.0": response_v2.map_response}


class MapResponse:
    """Pipeline step: ctx["response"] from ctx["function_payload"], in ctx["payload_format"] (default 2.0)."""

    async def __call__(self, ctx: RequestContext) -> None:
        map_response = MAPPERS[ctx.get("payload_format", "2.0")]
        try:
            status, headers, body = map_response(ctx["function_payload"])
        except IntegrationError as exc:
            ctx["integration_error"] = exc.detail
            raise
        ctx["integration_function_status"] = status
        ctx["response"] = web.Response(status=status, headers=headers, body=body)
