"""One execution environment: a runtime (via its executor) plus its Runtime API, status and log stream."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from emulator.invocation import InvocationResult, InvocationStatus
from emulator.lambdas.executors.base import RuntimeExecutor
from emulator.lambdas.function_registry import FunctionConfig
from emulator.lambdas.runtime_api import Invocation, OutcomeKind, RuntimeApi, error_payload, new_trace_id
from emulator.logs.sink import LogSink

log = logging.getLogger(__name__)

# The execution role's session for a new environment (role_credentials.RoleCredentials); None: static keys.
CredentialsProvider = Callable[[FunctionConfig], Awaitable[Mapping[str, str]]]

# Lambda's init phase limit for on-demand functions; a longer function timeout extends it.
INIT_TIMEOUT_SECONDS = 10.0


class EnvironmentStatus(enum.Enum):
    """Lifecycle of an execution environment."""

    STARTING = "starting"  # runtime launched, init not finished
    READY = "ready"  # idle, waiting in `next`: can take an invocation
    RUNNING = "running"  # an invocation is in flight
    FAILED = "failed"  # init error, crash or timeout: must not be reused
    STOPPED = "stopped"  # runtime killed, resources released


def _now_ms() -> int:
    return int(time.time() * 1000)


class ExecutionEnvironment:
    """Starts, invokes and stops one runtime; writes its output and START/END/REPORT to the log sink."""

    def __init__(
        self,
        config: FunctionConfig,
        executor: RuntimeExecutor,
        log_sink: LogSink,
        credentials: CredentialsProvider | None = None,
    ) -> None:
        self.id = uuid.uuid4().hex
        self.config = config
        self.status = EnvironmentStatus.STARTING
        self.log_stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{self.id}"
        self._executor = executor
        self._sink = log_sink
        self._credentials = credentials
        self._api = RuntimeApi()
        self._init_duration_ms: float | None = None
        self.invocations = 0

    def _log(self, message: str) -> None:
        self._sink.put(self.config.log_group, self.log_stream, message, _now_ms())

    async def start(self) -> InvocationResult | None:
        """Launch and initialise the runtime; None when ready, else the init failure as a result."""
        started = time.perf_counter()
        try:
            session = await self._credentials(self.config) if self._credentials is not None else None
            await self._api.start(self._executor.runtime_api_bind_host)
            await self._executor.start(self.config, self._api, self.log_stream, self._log, session)
        except Exception as exc:
            log.warning("function %s: cannot start an environment: %s", self.config.name, exc)
            self._log(f"INIT_FAILED: {exc}")
            await self.stop()
            return self._failure("", "Runtime.StartError", str(exc))
        ready = asyncio.ensure_future(self._api.ready.wait())
        init_failed = asyncio.ensure_future(self._api.init_failed.wait())
        exited = asyncio.ensure_future(self._executor.wait())
        waiters = {ready, init_failed, exited}
        try:
            await asyncio.wait(
                waiters,
                timeout=max(INIT_TIMEOUT_SECONDS, self.config.timeout),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
        if self._api.init_error is not None:
            await self.stop()
            error = self._api.init_error
            return InvocationResult(InvocationStatus.FUNCTION_ERROR, error.payload, "", "Unhandled")
        if exited.done() and not exited.cancelled():
            await self.stop()
            return self._failure(
                "", "Runtime.ExitError", f"Runtime exited with error: {_exit_text(exited.result())}"
            )
        if not self._api.ready.is_set():
            await self.stop()
            return self._failure("", "Runtime.InitTimeout", "Init phase timed out")
        self._init_duration_ms = (time.perf_counter() - started) * 1000
        self.status = EnvironmentStatus.READY
        return None

    async def invoke(self, request_id: str, payload: bytes) -> InvocationResult:
        """Run one invocation to its end: response, function error, crash or timeout."""
        assert self.status is EnvironmentStatus.READY, f"environment is {self.status}"
        self.status = EnvironmentStatus.RUNNING
        self.invocations += 1
        timeout = self.config.timeout
        invocation = Invocation(
            request_id=request_id,
            payload=payload,
            deadline_ms=_now_ms() + int(timeout * 1000),
            function_arn=self.config.arn,
            trace_id=new_trace_id(),
        )
        self._log(f"START RequestId: {request_id} Version: $LATEST")
        started = time.perf_counter()
        timed_out = False
        try:
            outcome = await asyncio.wait_for(self._executor.invoke(self._api, invocation), timeout)
        except TimeoutError:
            outcome, timed_out = None, True
        duration_ms = (time.perf_counter() - started) * 1000
        await asyncio.sleep(0)  # let output the runtime printed before answering reach the log first
        if timed_out:
            self.status = EnvironmentStatus.FAILED
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            self._log(f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds")
            result = InvocationResult(
                InvocationStatus.TIMEOUT,
                error_payload(
                    "Sandbox.Timedout",
                    f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds",
                ),
                request_id,
                "Unhandled",
            )
        elif outcome is None:
            self.status = EnvironmentStatus.FAILED
            code = await self._executor.wait()
            message = f"RequestId: {request_id} Error: Runtime exited with error: {_exit_text(code)}"
            self._log(message)
            result = self._failure(request_id, "Runtime.ExitError", message)
        elif outcome.kind is OutcomeKind.ERROR:
            # Lambda resets an environment after a function error: the next call starts a fresh one.
            self.status = EnvironmentStatus.FAILED
            result = InvocationResult(
                InvocationStatus.FUNCTION_ERROR, outcome.payload, request_id, "Unhandled"
            )
        else:
            self.status = EnvironmentStatus.READY
            result = InvocationResult(InvocationStatus.OK, outcome.payload, request_id)
        self._report(request_id, duration_ms, timed_out)
        if self.status is EnvironmentStatus.FAILED:
            await self.stop()
        return result

    def _report(self, request_id: str, duration_ms: float, timed_out: bool) -> None:
        fields = [
            f"REPORT RequestId: {request_id}",
            f"Duration: {duration_ms:.2f} ms",
            f"Billed Duration: {max(1, math.ceil(duration_ms))} ms",
            f"Memory Size: {self.config.memory_size} MB",
            f"Max Memory Used: {self._executor.max_memory_mb() or 0} MB",
        ]
        if self._init_duration_ms is not None:
            fields.append(f"Init Duration: {self._init_duration_ms:.2f} ms")
            self._init_duration_ms = None
        if timed_out:
            fields.append("Status: timeout")
        self._log(f"END RequestId: {request_id}")
        self._log("\t".join(fields))

    def _failure(self, request_id: str, error_type: str, message: str) -> InvocationResult:
        self.status = EnvironmentStatus.FAILED
        return InvocationResult(
            InvocationStatus.FUNCTION_ERROR, error_payload(error_type, message), request_id, "Unhandled"
        )

    async def stop(self) -> None:
        """Kill the runtime and close the Runtime API; idempotent."""
        if self.status is EnvironmentStatus.STOPPED:
            return
        with contextlib.suppress(Exception):
            await self._executor.stop()
        with contextlib.suppress(Exception):
            await self._api.stop()
        self.status = EnvironmentStatus.STOPPED

    def describe(self) -> dict[str, object]:
        return {
            "id": self.id,
            "function": self.config.name,
            "status": self.status.value,
            "invocations": self.invocations,
        }


def _exit_text(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            import signal

            return f"signal: {signal.Signals(-code).name.removeprefix('SIG').lower()}"
    return f"exit status {code}"


def error_message(payload: bytes) -> str:
    """The errorMessage of an error payload (for logs)."""
    try:
        return str(json.loads(payload).get("errorMessage", ""))
    except (ValueError, AttributeError):
        return payload.decode("utf-8", "replace")
