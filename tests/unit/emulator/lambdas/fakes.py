"""Fakes for the Lambda runtime unit tests: a log sink and an in-process runtime client executor."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from emulator.lambdas.executors.base import OutputHandler, RuntimeExecutor
from emulator.lambdas.function_registry import FunctionConfig
from emulator.lambdas.runtime_api import RuntimeApi


class FakeLogSink:
    """Collects (group, stream, message) in memory."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def put(self, group: str, stream: str, message: str, timestamp_ms: int | None = None) -> None:
        self.events.append((group, stream, message))

    def messages(self) -> list[str]:
        return [message for _, _, message in self.events]


Behaviour = Callable[[dict[str, Any]], Any]


class FakeExecutor(RuntimeExecutor):
    """A runtime client written in asyncio: speaks the real Runtime API over HTTP, like awslambdaric.

    behaviour(event) returns the response, raises to post /error, or returns "crash"/"hang" to exit or stall.
    init="error" posts /init/error; init="exit" exits before asking for an event.
    """

    instances: list[FakeExecutor] = []

    def __init__(self, behaviour: Behaviour, init: str = "ok") -> None:
        super().__init__()
        self._behaviour = behaviour
        self._init = init
        self._exited: asyncio.Future[int] | None = None
        self._task: asyncio.Task[None] | None = None
        self.stopped = False
        self.handled = 0
        self.credentials: Mapping[str, str] | None = None
        FakeExecutor.instances.append(self)

    async def start(
        self,
        config: FunctionConfig,
        api: RuntimeApi,
        log_stream: str,
        on_output: OutputHandler,
        credentials: Mapping[str, str] | None = None,
    ) -> None:
        self.credentials = credentials
        self._exited = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(
            self._loop(f"http://127.0.0.1:{api.port}/2018-06-01/runtime", on_output)
        )

    def _exit(self, code: int) -> None:
        if self._exited is not None and not self._exited.done():
            self._exited.set_result(code)

    async def _loop(self, base: str, on_output: OutputHandler) -> None:
        async with aiohttp.ClientSession() as http:
            if self._init == "error":
                body = {
                    "errorMessage": "Unable to import module 'x'",
                    "errorType": "Runtime.ImportModuleError",
                }
                await http.post(
                    f"{base}/init/error",
                    json=body,
                    headers={"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"},
                )
                self._exit(1)
                return
            if self._init == "exit":
                self._exit(2)
                return
            while True:
                async with http.get(f"{base}/invocation/next") as response:
                    assert response.headers["Content-Type"] == "application/json"
                    request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
                    event = json.loads(await response.read())
                self.handled += 1
                on_output(f"handling {request_id}")
                try:
                    result = self._behaviour(event)
                except Exception as exc:
                    error = {"errorMessage": str(exc), "errorType": type(exc).__name__}
                    await http.post(f"{base}/invocation/{request_id}/error", json=error)
                    continue
                if result == "crash":
                    self._exit(1)
                    return
                if result == "hang":
                    await asyncio.sleep(3600)
                await http.post(f"{base}/invocation/{request_id}/response", json=result)

    async def stop(self) -> None:
        self.stopped = True
        if self._task is not None:
            self._task.cancel()
        self._exit(-9)

    async def wait(self) -> int:
        assert self._exited is not None
        return await asyncio.shield(self._exited)


def make_config(name: str = "fn", timeout: float = 1.0, revision: str = "r1") -> FunctionConfig:
    return FunctionConfig(
        name=name,
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        image_uri=f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}@sha256:{'a' * 64}",
        handler="app.handler",
        timeout=timeout,
        memory_size=128,
        revision=(revision,),
    )
