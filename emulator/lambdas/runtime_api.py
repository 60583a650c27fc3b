"""One environment's Lambda Runtime API (2018-06-01), served on its own ephemeral 127.0.0.1 port."""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import os
import time
from dataclasses import dataclass

from aiohttp import web

log = logging.getLogger(__name__)

PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
# Lambda's synchronous response limit; larger responses become Function.ResponseSizeTooLarge.
MAX_RESPONSE_BYTES = 6 * 1024 * 1024


def new_trace_id() -> str:
    """An X-Ray trace header value as Lambda passes it in Lambda-Runtime-Trace-Id."""
    return f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};Parent={os.urandom(8).hex()};Sampled=0"


@dataclass(frozen=True)
class Invocation:
    """One event handed to the runtime through `next`."""

    request_id: str
    payload: bytes
    deadline_ms: int
    function_arn: str
    trace_id: str


class OutcomeKind(enum.Enum):
    """What the runtime posted back."""

    RESPONSE = "response"
    ERROR = "error"


@dataclass(frozen=True)
class RuntimeOutcome:
    """The runtime's answer for one invocation (or its init error)."""

    kind: OutcomeKind
    payload: bytes
    error_type: str | None = None


def error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


class RuntimeApi:
    """Hands invocations to one runtime client and collects its responses, errors and init errors."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Invocation] = asyncio.Queue()
        self._results: dict[str, asyncio.Future[RuntimeOutcome]] = {}
        self.ready = asyncio.Event()  # the runtime asked for its first event: init is done
        self.init_failed = asyncio.Event()
        self.init_error: RuntimeOutcome | None = None
        self._runner: web.AppRunner | None = None
        self._waiting: set[asyncio.Task[Invocation]] = set()
        self.port = 0

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_RESPONSE_BYTES + 1024 * 1024)
        app.router.add_get(f"{PREFIX}/invocation/next", self._next)
        app.router.add_post(f"{PREFIX}/invocation/{{request_id}}/response", self._response)
        app.router.add_post(f"{PREFIX}/invocation/{{request_id}}/error", self._error)
        app.router.add_post(f"{PREFIX}/init/error", self._init_error)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen (port 0 = ephemeral) and return the bound port."""
        # A short shutdown_timeout: a `next` long-poll must never hold up stopping an environment.
        self._runner = web.AppRunner(
            self.application(), access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port, reuse_address=True).start()
        self.port = int(self._runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        for future in list(self._results.values()):
            if not future.done():
                future.cancel()
        for waiter in list(self._waiting):
            waiter.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def submit(self, invocation: Invocation) -> asyncio.Future[RuntimeOutcome]:
        """Queue an invocation for the next `next` call; the future resolves with the runtime's outcome."""
        future: asyncio.Future[RuntimeOutcome] = asyncio.get_running_loop().create_future()
        self._results[invocation.request_id] = future
        future.add_done_callback(lambda _: self._results.pop(invocation.request_id, None))
        self._queue.put_nowait(invocation)
        return future

    async def _next(self, request: web.Request) -> web.Response:
        self.ready.set()
        waiter = asyncio.ensure_future(self._queue.get())
        self._waiting.add(waiter)
        try:
            invocation = await waiter
        except asyncio.CancelledError:
            return web.json_response(
                {"errorMessage": "environment stopping", "errorType": "Runtime.Stopping"}, status=410
            )
        finally:
            self._waiting.discard(waiter)
        # Content-Type is mandatory: awslambdaric 4.2.2 hangs on a `next` response without it.
        return web.Response(
            body=invocation.payload,
            headers={
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
                "Lambda-Runtime-Trace-Id": invocation.trace_id,
            },
        )

    def _resolve(self, request_id: str, outcome: RuntimeOutcome) -> web.Response:
        future = self._results.get(request_id)
        if future is None or future.done():
            return web.json_response(
                {
                    "errorMessage": f"unknown or finished request id {request_id}",
                    "errorType": "InvalidRequestID",
                },
                status=400,
            )
        future.set_result(outcome)
        return web.json_response({"status": "OK"}, status=202)

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.read()
        if len(body) > MAX_RESPONSE_BYTES:
            message = f"Response payload size ({len(body)} bytes) exceeded maximum allowed payload size"
            outcome = RuntimeOutcome(
                OutcomeKind.ERROR, error_payload("Function.ResponseSizeTooLarge", message), "Unhandled"
            )
        else:
            outcome = RuntimeOutcome(OutcomeKind.RESPONSE, body)
        return self._resolve(request.match_info["request_id"], outcome)

    async def _error(self, request: web.Request) -> web.Response:
        body = await request.read()
        error_type = request.headers.get(ERROR_TYPE_HEADER) or _error_type_from_body(body)
        return self._resolve(
            request.match_info["request_id"], RuntimeOutcome(OutcomeKind.ERROR, body, error_type)
        )

    async def _init_error(self, request: web.Request) -> web.Response:
        body = await request.read()
        error_type = request.headers.get(ERROR_TYPE_HEADER) or _error_type_from_body(body)
        self.init_error = RuntimeOutcome(
            OutcomeKind.ERROR, body or error_payload(error_type, "init failed"), error_type
        )
        self.init_failed.set()
        return web.json_response({"status": "OK"}, status=202)


def _error_type_from_body(body: bytes) -> str:
    try:
        value = json.loads(body).get("errorType")
    except (ValueError, AttributeError):
        value = None
    return str(value) if value else "Runtime.Unknown"
