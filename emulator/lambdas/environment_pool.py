"""Warm execution environments per function, up to a concurrency limit; cold starts when none is free.

A function's reserved concurrency (PutFunctionConcurrency) is its cap, and a call past it is throttled at
once, as Lambda answers it (TooManyRequestsException, ReservedFunctionConcurrentInvocationLimitExceeded);
0 throttles every call. Unreserved functions share the emulator's `max_concurrency` per function, where a
caller waits up to `throttle_wait_seconds` for an environment to free up (an emulator choice that smooths a
small machine) before it is throttled with ConcurrentInvocationLimitExceeded.

`cold_start_grace_seconds`: a caller that finds every environment busy first waits that long for one to free
up, then starts its own (an emulator choice; Lambda starts at once). A cold start here costs about a second of
CPU that the warm environments need: a short stall made a soak start nine at once, and the CPU they took
stretched the stall to 4.5 s.

`max_starting` caps the cold starts of one function in flight at once (an emulator choice; Lambda has no such
cap): past it, a caller waits for the first environment that frees up, a start finishing or a busy one
released. Ten Python runtimes initialising at once on two cores each take ten times as long, and every
request that arrives meanwhile would start yet another (measured: 16 starts within 0.6 s, then throttles).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.lambdas.environment import EnvironmentStatus, ExecutionEnvironment
from emulator.lambdas.function_registry import FunctionConfig

log = logging.getLogger(__name__)

EnvironmentFactory = Callable[[FunctionConfig], ExecutionEnvironment]


RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"


class Throttled(Exception):
    """Every environment of the function is busy and the concurrency limit is reached."""

    def __init__(self, function: str, reason: str) -> None:
        super().__init__(f"{function}: {reason}")
        self.reason = reason


@dataclass
class _FunctionEnvironments:
    revision: tuple[str, ...]
    members: set[ExecutionEnvironment] = field(default_factory=set)  # every live one: starting, idle, busy
    idle: list[ExecutionEnvironment] = field(default_factory=list)  # most recently used last
    stale: set[ExecutionEnvironment] = field(default_factory=set)  # busy when reloaded: stopped on release
    warming: set[ExecutionEnvironment] = field(default_factory=set)  # started by a reload, not yet released
    freed: asyncio.Condition = field(default_factory=asyncio.Condition)


class EnvironmentPool:
    """Hands out warm environments (most recently used first) or new ones; retires stale ones."""

    def __init__(
        self,
        factory: EnvironmentFactory,
        max_concurrency: int,
        throttle_wait_seconds: float = 3.0,
        max_starting: int | None = None,
        cold_start_grace_seconds: float = 0.0,
    ) -> None:
        self._factory = factory
        self._max = max(1, max_concurrency)
        self._throttle_wait = throttle_wait_seconds
        self._max_starting = None if max_starting is None else max(1, max_starting)
        self._grace = max(0.0, cold_start_grace_seconds)
        self._functions: dict[str, _FunctionEnvironments] = {}
        self._stopping: set[asyncio.Task[None]] = set()
        # Longest a caller waits for a reload's environment (Lambda's init limit): then it starts its own.
        self.warm_wait_seconds = 10.0

    def _entry(self, config: FunctionConfig) -> _FunctionEnvironments:
        entry = self._functions.get(config.name)
        if entry is None:
            entry = self._functions[config.name] = _FunctionEnvironments(config.revision)
        return entry

    async def acquire(
        self, config: FunctionConfig, warming: bool = False
    ) -> tuple[ExecutionEnvironment, bool]:
        """A READY environment (cold=False) or a new, not yet started one (cold=True); may raise Throttled.

        warming=True: a reload's environment; callers meanwhile wait for it rather than start a second one
        on the same code (up to `warm_wait_seconds`), which halves the CPU a live reload costs."""
        entry = self._entry(config)
        if entry.revision != config.revision:
            self._retire_entry(entry, config.revision)
        reserved = config.reserved_concurrency
        limit = self._max if reserved is None else max(0, reserved)
        loop = asyncio.get_running_loop()
        throttle_wait = self._throttle_wait if reserved is None else 0.0
        deadline: float | None = (
            None  # from the first time the limit is met: a start-slot wait is not counted
        )
        warm_deadline = loop.time() + self.warm_wait_seconds
        grace_deadline = loop.time() + self._grace
        async with entry.freed:
            while True:
                # Starting and running environments count; idle ones are free to take. A lowered cap
                # (or 0) is honoured even while more warm environments than it allows still exist.
                busy = len(entry.members) - len(entry.idle)
                if busy < limit:
                    while entry.idle:
                        env = entry.idle.pop()
                        if env.status is EnvironmentStatus.READY and env.config.revision == config.revision:
                            return env, False
                        self._discard(entry, env)
                    if (
                        not warming
                        and (entry.warming or self._starts_capped(entry))
                        and loop.time() < warm_deadline
                    ):
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(entry.freed.wait(), warm_deadline - loop.time())
                        continue
                    if not warming and busy and loop.time() < grace_deadline:
                        # A busy environment that frees up within the grace serves sooner than a cold start.
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(entry.freed.wait(), grace_deadline - loop.time())
                        continue
                    env = self._factory(config)
                    entry.members.add(env)
                    if warming:
                        entry.warming.add(env)
                    return env, True
                if deadline is None:
                    deadline = loop.time() + throttle_wait
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise Throttled(config.name, ACCOUNT_LIMIT if reserved is None else RESERVED_LIMIT)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(entry.freed.wait(), remaining)

    def _starts_capped(self, entry: _FunctionEnvironments) -> bool:
        if self._max_starting is None:
            return False
        starting = sum(1 for env in entry.members if env.status is EnvironmentStatus.STARTING)
        return starting >= self._max_starting

    async def started(self, env: ExecutionEnvironment) -> None:
        """A cold start finished (ready or failed): a caller waiting for a start slot may take it."""
        entry = self._functions.get(env.config.name)
        if entry is not None:
            async with entry.freed:
                entry.freed.notify()

    async def release(self, env: ExecutionEnvironment) -> None:
        """Return an environment after use: kept warm when healthy and current, else stopped."""
        entry = self._functions.get(env.config.name)
        if entry is None:
            self._stop_later(env)
            return
        async with entry.freed:
            was_warming = env in entry.warming
            entry.warming.discard(env)
            current = env.config.revision == entry.revision and env not in entry.stale
            if env.status is EnvironmentStatus.READY and current:
                entry.idle.append(env)
            else:
                self._discard(entry, env)
            # Every caller that waited for a reload's environment looks again (one takes it, the rest start).
            entry.freed.notify_all() if was_warming else entry.freed.notify()

    def retire(self, name: str, config: FunctionConfig | None) -> None:
        """The function changed (or was deleted): stop idle environments, stop busy ones when released."""
        entry = self._functions.get(name)
        if entry is None:
            return
        self._retire_entry(entry, config.revision if config else ("<deleted>",))

    def reload(self, name: str) -> int:
        """The code changed under the same configuration (live reload): every environment of it is stale.

        Idle ones stop now and busy ones when released, so the next invocation starts on the new code.
        Returns how many environments were retired."""
        entry = self._functions.get(name)
        if entry is None:
            return 0
        retired = len(entry.members)
        entry.stale.update(entry.members)
        for env in entry.idle:
            self._discard(entry, env)
        entry.idle.clear()
        return retired

    def _retire_entry(self, entry: _FunctionEnvironments, revision: tuple[str, ...]) -> None:
        entry.revision = revision
        for env in entry.idle:
            self._discard(entry, env)
        entry.idle.clear()

    def _discard(self, entry: _FunctionEnvironments, env: ExecutionEnvironment) -> None:
        entry.members.discard(env)
        entry.stale.discard(env)
        entry.warming.discard(env)
        self._stop_later(env)

    def _stop_later(self, env: ExecutionEnvironment) -> None:
        if env.status is EnvironmentStatus.STOPPED:
            return
        task = asyncio.ensure_future(env.stop())
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    def snapshot(self) -> dict[str, list[dict[str, object]]]:
        """Every live environment per function (for health and tests)."""
        return {name: [env.describe() for env in entry.members] for name, entry in self._functions.items()}

    async def shutdown(self) -> None:
        """Stop every environment."""
        envs = [env for entry in self._functions.values() for env in entry.members]
        self._functions.clear()
        await asyncio.gather(*(env.stop() for env in envs), *self._stopping, return_exceptions=True)
