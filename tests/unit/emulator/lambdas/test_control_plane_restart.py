"""A control plane that goes away keeps warm functions; one that comes back without them retires them."""

from __future__ import annotations

import asyncio
import logging

import pytest
from botocore.exceptions import EndpointConnectionError

from emulator.invocation import InvocationStatus
from emulator.lambdas.environment import ExecutionEnvironment
from emulator.lambdas.environment_pool import EnvironmentPool
from emulator.lambdas.function_registry import FunctionConfig, FunctionRegistry
from emulator.lambdas.invoker import LambdaInvoker
from tests.unit.emulator.lambdas.fakes import FakeExecutor, FakeLogSink, make_config


class ControlPlane:
    """get_function as moto answers it: the config, None once it is gone, or a refused connection."""

    def __init__(self) -> None:
        self.functions: dict[str, FunctionConfig] = {"fn": make_config()}
        self.up = True

    def fetch(self, name: str) -> FunctionConfig | None:
        if not self.up:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")
        return self.functions.get(name)


async def _stopped(executor: FakeExecutor) -> None:
    while not executor.stopped:
        await asyncio.sleep(0.01)


def test_warm_environments_survive_an_outage_and_are_retired_when_moto_comes_back_empty(
    sink: FakeLogSink, caplog: pytest.LogCaptureFixture
) -> None:
    control_plane = ControlPlane()

    async def scenario() -> None:
        registry = FunctionRegistry(control_plane.fetch, refresh_seconds=60)
        pool = EnvironmentPool(lambda c: ExecutionEnvironment(c, FakeExecutor(lambda e: e), sink), 2, 0.1)
        invoker = LambdaInvoker(registry, pool)
        try:
            assert (await invoker.invoke("fn", b"{}")).status is InvocationStatus.OK
            (executor,) = FakeExecutor.instances
            control_plane.up = False
            with caplog.at_level(logging.DEBUG, logger="emulator.lambdas.function_registry"):
                for _ in range(3):
                    await registry.refresh_once()
            warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert len(warnings) == 1 and "\n" not in warnings[0].getMessage()  # one line per outage
            assert registry.cached("fn") is not None and pool.snapshot()["fn"] and not executor.stopped

            control_plane.up, control_plane.functions = True, {}  # moto restarted: the function is gone
            await registry.refresh_once()
            await asyncio.wait_for(_stopped(executor), 5)  # retired environments stop in the background
            assert registry.cached("fn") is None
            assert pool.snapshot()["fn"] == [] and executor.stopped
            assert (await invoker.invoke("fn", b"{}")).status is InvocationStatus.NOT_FOUND
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())
