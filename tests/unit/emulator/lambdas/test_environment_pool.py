import asyncio
import dataclasses

import pytest

from emulator.lambdas.environment import EnvironmentStatus, ExecutionEnvironment
from emulator.lambdas.environment_pool import EnvironmentPool, Throttled
from tests.unit.emulator.lambdas.fakes import FakeExecutor, FakeLogSink, make_config


def _pool(sink: FakeLogSink, limit: int = 2, wait: float = 0.1) -> EnvironmentPool:
    return EnvironmentPool(
        lambda config: ExecutionEnvironment(config, FakeExecutor(lambda e: e), sink), limit, wait
    )


def test_environment_goes_starting_ready_running_ready_and_is_reused(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        pool = _pool(sink)
        config = make_config()
        env, cold = await pool.acquire(config)
        assert cold and env.status is EnvironmentStatus.STARTING
        assert await env.start() is None
        assert env.status is EnvironmentStatus.READY
        result = asyncio.ensure_future(env.invoke("r1", b"{}"))
        await asyncio.sleep(0)
        assert env.status is EnvironmentStatus.RUNNING
        await result
        assert env.status is EnvironmentStatus.READY
        await pool.release(env)
        again, cold_again = await pool.acquire(config)
        assert again is env and not cold_again
        await pool.release(again)
        await pool.shutdown()
        assert env.status is EnvironmentStatus.STOPPED

    asyncio.run(scenario())


def test_busy_environments_count_against_the_limit_and_throttle(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        pool = _pool(sink, limit=2, wait=0.05)
        config = make_config()
        first, _ = await pool.acquire(config)
        second, _ = await pool.acquire(config)
        assert first is not second
        with pytest.raises(Throttled):
            await pool.acquire(config)
        await pool.shutdown()

    asyncio.run(scenario())


def test_a_released_environment_wakes_a_waiting_caller(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        pool = _pool(sink, limit=1, wait=2.0)
        config = make_config()
        env, _ = await pool.acquire(config)
        await env.start()
        waiter = asyncio.ensure_future(pool.acquire(config))
        await asyncio.sleep(0.05)
        assert not waiter.done()
        await pool.release(env)
        got, cold = await asyncio.wait_for(waiter, 1)
        assert got is env and not cold
        await pool.shutdown()

    asyncio.run(scenario())


def test_failed_environments_are_discarded_not_reused(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        pool = _pool(sink, limit=1)
        config = make_config()
        env, _ = await pool.acquire(config)
        env.status = EnvironmentStatus.FAILED
        await pool.release(env)
        fresh, cold = await pool.acquire(config)
        assert fresh is not env and cold
        await pool.shutdown()

    asyncio.run(scenario())


def test_a_new_revision_retires_idle_environments(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        pool = _pool(sink, limit=2)
        env, _ = await pool.acquire(make_config(revision="r1"))
        await env.start()
        await pool.release(env)
        fresh, cold = await pool.acquire(make_config(revision="r2"))
        assert fresh is not env and cold
        await asyncio.sleep(0.05)
        assert env.status is EnvironmentStatus.STOPPED
        await pool.shutdown()

    asyncio.run(scenario())


def test_busy_environment_of_a_retired_revision_is_stopped_on_release(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        pool = _pool(sink, limit=2)
        env, _ = await pool.acquire(make_config(revision="r1"))
        await env.start()
        pool.retire("fn", make_config(revision="r2"))
        await pool.release(env)
        await asyncio.sleep(0.05)
        assert env.status is EnvironmentStatus.STOPPED
        assert pool.snapshot()["fn"] == []
        await pool.shutdown()

    asyncio.run(scenario())


def test_an_environment_busy_during_a_reload_is_stopped_when_released(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        pool = _pool(sink)
        config = make_config()
        busy, _ = await pool.acquire(config)
        await busy.start()
        idle, _ = await pool.acquire(config)
        await idle.start()
        await pool.release(idle)
        assert pool.reload(config.name) == 2
        await pool.release(busy)
        fresh, cold = await pool.acquire(config)
        assert cold and fresh is not busy and fresh is not idle
        await pool.shutdown()
        assert busy.status is idle.status is EnvironmentStatus.STOPPED

    asyncio.run(scenario())


@pytest.mark.parametrize(("limit", "reserved", "expected"), [(20, None, 20), (10, None, 10), (20, 5, 5)])
def test_concurrent_callers_each_get_an_environment_up_to_the_limit(
    sink: FakeLogSink, limit: int, reserved: int | None, expected: int
) -> None:
    async def scenario() -> None:
        pool = _pool(sink, limit=limit, wait=0.05)
        config = dataclasses.replace(make_config(), reserved_concurrency=reserved)
        outcomes = await asyncio.gather(*(pool.acquire(config) for _ in range(20)), return_exceptions=True)
        envs = {outcome[0] for outcome in outcomes if not isinstance(outcome, BaseException)}
        throttled = [outcome for outcome in outcomes if isinstance(outcome, Throttled)]
        assert len(envs) == expected  # one environment per caller, none shared
        assert len(throttled) == 20 - expected
        await pool.shutdown()

    asyncio.run(scenario())
