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


@pytest.mark.parametrize(
    ("max_starting", "first_does", "second_gets"),
    [
        (None, "nothing", "its own cold start at once"),  # Lambda's behaviour: no cap
        (2, "nothing", "its own cold start at once"),  # under the cap
        (1, "start", "its own cold start once the first start finished"),
        (1, "release", "the first environment, warm"),
    ],
)
def test_a_caller_past_the_cold_start_cap_waits_for_the_first_free_environment(
    sink: FakeLogSink, max_starting: int | None, first_does: str, second_gets: str
) -> None:
    async def scenario() -> None:
        pool = EnvironmentPool(
            lambda config: ExecutionEnvironment(config, FakeExecutor(lambda e: e), sink),
            5,
            0.05,
            max_starting=max_starting,
        )
        config = make_config()
        first, _ = await pool.acquire(config)
        second = asyncio.ensure_future(pool.acquire(config))
        await asyncio.sleep(0.05)
        if first_does == "nothing":
            assert second.done(), second_gets
        else:
            assert not second.done(), "a second start began while the first was in flight"
            assert await first.start() is None
            if first_does == "start":
                await pool.started(first)
            else:
                await pool.release(first)
        got, cold = await asyncio.wait_for(second, 1)
        assert (got is first, cold) == ((False, True) if "cold" in second_gets else (True, False)), (
            second_gets
        )
        await pool.shutdown()

    asyncio.run(scenario())


def test_time_spent_waiting_for_a_start_slot_does_not_count_towards_the_throttle(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        pool = EnvironmentPool(
            lambda config: ExecutionEnvironment(config, FakeExecutor(lambda e: e), sink),
            2,
            0.2,
            max_starting=1,
        )
        config = make_config()
        first, _ = await pool.acquire(config)
        waiting = asyncio.ensure_future(pool.acquire(config))  # past the start cap: waits
        await asyncio.sleep(0.3)  # longer than the throttle wait
        assert await first.start() is None
        await pool.started(first)
        other, cold = await pool.acquire(config)  # takes the slot first: the limit (2) is now met
        assert cold and other is not first
        await asyncio.sleep(0.1)
        assert not waiting.done(), "throttled at once, although it had not yet waited at the limit"
        await pool.release(first)
        got, cold = await asyncio.wait_for(waiting, 1)
        assert got is first and not cold
        await pool.shutdown()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("grace", "released_after", "reused"),
    [
        (0.5, 0.05, True),
        (0.05, None, False),
        (0.0, 0.05, False),
    ],
    ids=[
        "a busy environment freed within the grace serves the caller",
        "none freed within the grace: a cold start after it",
        "no grace: a cold start at once, as Lambda does",
    ],
)
def test_a_caller_finding_every_environment_busy_waits_the_grace_before_a_cold_start(
    sink: FakeLogSink, grace: float, released_after: float | None, reused: bool
) -> None:
    async def scenario() -> None:
        pool = EnvironmentPool(
            lambda config: ExecutionEnvironment(config, FakeExecutor(lambda e: e), sink),
            4,
            cold_start_grace_seconds=grace,
        )
        config = make_config()
        busy, _ = await pool.acquire(config)
        await busy.start()

        async def release_later() -> None:
            if released_after is not None:
                await asyncio.sleep(released_after)
                await pool.release(busy)

        releasing = asyncio.ensure_future(release_later())
        started = asyncio.get_running_loop().time()
        env, cold = await pool.acquire(config)
        waited = asyncio.get_running_loop().time() - started
        assert (env is busy, cold) == (reused, not reused)
        if not reused and grace:
            assert (
                waited >= grace * 0.9
            )  # the grace was spent before starting (asyncio may wake a tick early)
        await releasing
        await pool.shutdown()

    asyncio.run(scenario())
