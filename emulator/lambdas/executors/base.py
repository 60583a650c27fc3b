"""The RuntimeExecutor interface: start/stop/invoke/get_logs for one execution environment."""

from __future__ import annotations

import abc
import asyncio
import collections
from collections.abc import Callable, Mapping
from typing import Any

from emulator.lambdas.function_registry import FunctionConfig
from emulator.lambdas.runtime_api import Invocation, RuntimeApi, RuntimeOutcome

OutputHandler = Callable[[str], None]
ExecutorFactory = Callable[[], "RuntimeExecutor"]

_LOG_TAIL_LINES = 200


class RuntimeExecutor(abc.ABC):
    """Runs the runtime client of one execution environment against that environment's Runtime API."""

    # Address the Runtime API listens on so the runtime can reach it.
    runtime_api_bind_host = "127.0.0.1"

    def __init__(self) -> None:
        self._tail: collections.deque[str] = collections.deque(maxlen=_LOG_TAIL_LINES)
        self._api: RuntimeApi | None = None

    @abc.abstractmethod
    async def start(
        self,
        config: FunctionConfig,
        api: RuntimeApi,
        log_stream: str,
        on_output: OutputHandler,
        credentials: Mapping[str, str] | None = None,
    ) -> None:
        """Launch the runtime (returns once launched, not once initialised); raise on launch failure.

        `credentials`: the execution role's session for the function's environment, None for static keys.
        """

    @abc.abstractmethod
    async def stop(self) -> None:
        """Kill the runtime and release its resources; idempotent."""

    @abc.abstractmethod
    async def wait(self) -> int:
        """Wait for the runtime to exit; its exit status (negative: killed by that signal)."""

    def max_memory_mb(self) -> int | None:
        """Peak memory of the runtime so far, when the executor can tell."""
        return None

    def get_logs(self) -> list[str]:
        """The runtime's most recent output lines."""
        return list(self._tail)

    def _record(self, line: str, on_output: OutputHandler) -> None:
        self._tail.append(line)
        on_output(line)

    async def invoke(self, api: RuntimeApi, invocation: Invocation) -> RuntimeOutcome | None:
        """Hand the invocation to the runtime; its outcome, or None if the runtime exited first."""
        outcome = api.submit(invocation)
        exited = asyncio.ensure_future(self.wait())
        racers: list[asyncio.Future[Any]] = [outcome, exited]
        try:
            await asyncio.wait(racers, return_when=asyncio.FIRST_COMPLETED)
        finally:
            exited.cancel()
        if outcome.done() and not outcome.cancelled():
            return outcome.result()
        outcome.cancel()
        return None
