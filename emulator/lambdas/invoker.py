"""LambdaInvoker: the emulator.invocation.Invoker behind the gateway, the Invoke API and the pollers."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import uuid

from emulator.invocation import InvocationResult, InvocationStatus
from emulator.lambdas.environment_pool import EnvironmentPool, Throttled
from emulator.lambdas.function_registry import FunctionConfig, FunctionRegistry

log = logging.getLogger(__name__)


def not_found_payload(function: str) -> bytes:
    return json.dumps(
        {"Type": "User", "Message": f"Function not found: {function}", "__type": "ResourceNotFoundException"}
    ).encode()


def throttled_payload(reason: str) -> bytes:
    """Lambda's TooManyRequestsException body for a concurrency throttle (API_Invoke, "Errors")."""
    return json.dumps({"Reason": reason, "Type": "User", "message": "Rate Exceeded."}).encode()


class LambdaInvoker:
    """Resolves the function, takes a warm (or cold-started) environment and runs the invocation."""

    def __init__(self, registry: FunctionRegistry, pool: EnvironmentPool) -> None:
        self.registry = registry
        self.pool = pool
        self._background: set[asyncio.Task[InvocationResult]] = set()
        registry.on_change(pool.retire)

    async def resolve(self, function: str) -> FunctionConfig | None:
        return await self.registry.get(function)

    async def invoke(self, function: str, payload: bytes) -> InvocationResult:
        """Synchronous (RequestResponse) invocation; a cancelled caller does not cancel the function."""
        request_id = str(uuid.uuid4())
        config = await self.registry.get(function)
        if config is None:
            return InvocationResult(InvocationStatus.NOT_FOUND, not_found_payload(function), request_id)
        task = asyncio.ensure_future(self._run(config, request_id, payload))
        return await asyncio.shield(task)

    def invoke_event(self, config: FunctionConfig, payload: bytes) -> str:
        """Asynchronous (Event) invocation: queued, run in the background; returns the request id."""
        request_id = str(uuid.uuid4())
        task = asyncio.ensure_future(self._run(config, request_id, payload))
        self._background.add(task)
        task.add_done_callback(self._event_done)
        return request_id

    def _event_done(self, task: asyncio.Task[InvocationResult]) -> None:
        self._background.discard(task)
        if (
            not task.cancelled()
            and task.exception() is None
            and task.result().status is not InvocationStatus.OK
        ):
            result = task.result()
            log.warning("event invocation %s ended %s", result.request_id, result.status.value)

    async def _run(self, config: FunctionConfig, request_id: str, payload: bytes) -> InvocationResult:
        try:
            env, cold = await self.pool.acquire(config)
        except Throttled as throttled:
            return InvocationResult(
                InvocationStatus.THROTTLED, throttled_payload(throttled.reason), request_id
            )
        try:
            if cold:
                failure = await env.start()
                await self.pool.started(env)
                if failure is not None:
                    return dataclasses.replace(failure, request_id=request_id)
            return await env.invoke(request_id, payload)
        finally:
            await self.pool.release(env)

    async def reload(self, config: FunctionConfig) -> tuple[int, InvocationResult | None]:
        """Retire the function's environments, then start one on the current code (a warm one for the next
        request); returns (environments retired, the init failure or None). A throttled start is skipped."""
        retired = self.pool.reload(config.name)
        try:
            env, cold = await self.pool.acquire(config, warming=True)
        except Throttled:
            return retired, None
        try:
            if not cold:
                return retired, None
            failure = await env.start()
            await self.pool.started(env)
            return retired, failure
        finally:
            await self.pool.release(env)

    async def shutdown(self) -> None:
        for task in list(self._background):
            task.cancel()
        await self.pool.shutdown()
