"""HTTP that aiohttp rejects before any handler runs, answered as API Gateway does: status and {"message"}.

HTTP APIs' quota "Total combined size of request line and header values: 10240 bytes" (http-api-quotas) is
the one documented limit. aiohttp checks each line and field, not their sum, so its per-line limits are set
to the quota (no single line can be longer than the whole) and `within_header_quota` checks the sum. AWS
documents no status for it: the emulator answers 413 {"message":"Request Entity Too Large"}, as for a body
over the payload quota. Everything else the parser refuses (unknown method, bad request line or header,
no Host) is 400 {"message":"Bad Request"}.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong

from emulator.apigw.errors import BadRequest, GatewayError, PayloadTooLarge

log = logging.getLogger(__name__)

MAX_REQUEST_LINE_AND_HEADERS_BYTES = 10_240
# Passed to aiohttp's RequestHandler (web.Application(handler_args=...)). A header is at least one byte of
# name, so more headers than quota bytes is over the quota too: the count never binds before the bytes do.
PARSER_LIMITS: dict[str, Any] = {
    "max_line_size": MAX_REQUEST_LINE_AND_HEADERS_BYTES,
    "max_field_size": MAX_REQUEST_LINE_AND_HEADERS_BYTES,
    "max_headers": MAX_REQUEST_LINE_AND_HEADERS_BYTES,
}
_TOO_MANY_HEADERS = "Too many headers received"  # aiohttp's message; a unit test pins it

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_for(status: int, exc: BaseException | None) -> GatewayError:
    """The API Gateway error for what aiohttp's protocol failed on (`status` is aiohttp's own guess)."""
    if isinstance(exc, LineTooLong) or (isinstance(exc, BadHttpMessage) and exc.message == _TOO_MANY_HEADERS):
        return PayloadTooLarge(str(exc))
    if isinstance(exc, BadHttpMessage) or status == 400:
        return BadRequest(str(exc or ""))
    return GatewayError(str(exc or f"aiohttp answered {status}"))  # 500 {"message":"Internal Server Error"}


class _Response(web.Response):
    """A Response without aiohttp's Server header (API Gateway sends none; parse errors skip the app's hook)."""

    async def _prepare_headers(self) -> None:
        await super()._prepare_headers()
        self.headers.popall("Server", None)


def error_response(error: GatewayError) -> web.Response:
    from emulator.gateway import new_request_id  # the gateway imports this module

    response = _Response(
        status=error.status, body=error.body(), content_type="application/json", headers=error.headers
    )
    response.headers["apigw-requestid"] = new_request_id()
    return response


def request_line_and_headers_bytes(request: web.BaseRequest) -> int:
    """Bytes of the request line and of each header's name and value (separators not counted)."""
    version = request.version
    line = len(request.method) + len(request.raw_path) + len(f"HTTP/{version.major}.{version.minor}") + 2
    return line + sum(len(name) + len(value) for name, value in request.raw_headers)


def within_header_quota(handler: Handler) -> Handler:
    """Wrap the gateway's handler: 413 when the request line and headers add up to more than the quota."""

    async def checked(request: web.Request) -> web.StreamResponse:
        size = request_line_and_headers_bytes(request)
        if size > MAX_REQUEST_LINE_AND_HEADERS_BYTES:
            log.debug(
                "request line and headers are %d bytes (quota %d)", size, MAX_REQUEST_LINE_AND_HEADERS_BYTES
            )
            return error_response(PayloadTooLarge(f"{size} bytes of request line and headers"))
        return await handler(request)

    return checked


class AwsErrorRequestHandler(web.RequestHandler):
    """aiohttp's connection handler, answering its own errors as API Gateway JSON and logging one line."""

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        error = error_for(status, exc)
        # aiohttp logs a traceback here; a malformed request is the client's doing, so one debug line.
        log.debug("malformed request from %s -> %d: %s", request.remote, error.status, error.detail)
        if request.writer.output_size > 0:
            raise ConnectionError("a response was already sent; cannot send the error response")
        response = error_response(error)
        response.force_close()  # the parser's state is unknown after an error: as aiohttp does
        return response


class AwsErrorServer(web.Server):
    """aiohttp's Server, creating AwsErrorRequestHandler connections."""

    def __call__(self) -> web.RequestHandler:
        return AwsErrorRequestHandler(self, loop=self._loop, **self._kwargs)


class GatewayRunner(web.AppRunner):
    """web.AppRunner whose connections answer malformed HTTP as API Gateway does."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # The app builds a plain Server with every argument it needs; only the connection class differs.
        server.__class__ = AwsErrorServer
        return server
