import asyncio
import dataclasses
import json
from typing import Any

import pytest

from emulator.invocation import InvocationStatus
from emulator.lambdas.environment import ExecutionEnvironment
from emulator.lambdas.environment_pool import EnvironmentPool
from emulator.lambdas.function_registry import FunctionConfig, FunctionRegistry
from emulator.lambdas.invoker import LambdaInvoker
from tests.unit.emulator.lambdas.fakes import FakeExecutor, FakeLogSink, make_config


def _echo(event: dict[str, Any]) -> Any:
    if event.get("crash"):
        return "crash"
    if event.get("hang"):
        return "hang"
    if event.get("fail"):
        raise ValueError("bad input")
    return {"echo": event}


def _invoker(
    sink: FakeLogSink,
    configs: dict[str, FunctionConfig],
    init: str = "ok",
    max_concurrency: int = 2,
    wait: float = 0.2,
) -> LambdaInvoker:
    registry = FunctionRegistry(lambda name: configs.get(name), refresh_seconds=60)
    pool = EnvironmentPool(
        lambda config: ExecutionEnvironment(config, FakeExecutor(_echo, init), sink), max_concurrency, wait
    )
    return LambdaInvoker(registry, pool)


def test_warm_environment_is_reused(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        invoker = _invoker(sink, {"fn": make_config()})
        try:
            first = await invoker.invoke("fn", b'{"n": 1}')
            second = await invoker.invoke(
                "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST", b'{"n": 2}'
            )
            assert first.status is second.status is InvocationStatus.OK
            assert json.loads(second.payload) == {"echo": {"n": 2}}
            assert len(FakeExecutor.instances) == 1
            assert FakeExecutor.instances[0].handled == 2
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


def test_start_end_report_lines_with_init_duration_only_on_cold_start(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        invoker = _invoker(sink, {"fn": make_config()})
        try:
            first = await invoker.invoke("fn", b"{}")
            await invoker.invoke("fn", b"{}")
        finally:
            await invoker.shutdown()
        messages = sink.messages()
        assert f"START RequestId: {first.request_id} Version: $LATEST" in messages
        assert f"END RequestId: {first.request_id}" in messages
        reports = [m for m in messages if m.startswith("REPORT")]
        assert len(reports) == 2
        assert "Init Duration:" in reports[0] and "Init Duration:" not in reports[1]
        assert "\tBilled Duration: " in reports[0] and "\tMemory Size: 128 MB" in reports[0]
        assert any(m.startswith("handling ") for m in messages)  # runtime output goes to the same stream
        groups_streams = {(g, s) for g, s, _ in sink.events}
        assert len(groups_streams) == 1
        group, stream = groups_streams.pop()
        assert group == "/aws/lambda/fn"
        assert stream.split("/")[3].startswith("[$LATEST]") and len(stream.split("]")[1]) == 32

    asyncio.run(scenario())


def test_unknown_function_is_not_found(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        invoker = _invoker(sink, {})
        result = await invoker.invoke("missing", b"{}")
        assert result.status is InvocationStatus.NOT_FOUND
        assert b"ResourceNotFoundException" in result.payload

    asyncio.run(scenario())


def test_crash_is_a_function_error_and_the_next_call_gets_a_fresh_environment(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        invoker = _invoker(sink, {"fn": make_config()})
        try:
            crashed = await invoker.invoke("fn", b'{"crash": true}')
            assert crashed.status is InvocationStatus.FUNCTION_ERROR
            assert crashed.function_error == "Unhandled"
            body = json.loads(crashed.payload)
            assert body["errorType"] == "Runtime.ExitError"
            assert "exit status 1" in body["errorMessage"]
            ok = await invoker.invoke("fn", b'{"n": 1}')
            assert ok.status is InvocationStatus.OK
            assert len(FakeExecutor.instances) == 2
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


def test_handler_error_is_unhandled_and_resets_the_environment(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        invoker = _invoker(sink, {"fn": make_config()})
        try:
            failed = await invoker.invoke("fn", b'{"fail": true}')
            assert failed.status is InvocationStatus.FUNCTION_ERROR
            assert failed.function_error == "Unhandled"
            assert json.loads(failed.payload) == {"errorMessage": "bad input", "errorType": "ValueError"}
            assert FakeExecutor.instances[0].stopped
            assert (await invoker.invoke("fn", b"{}")).status is InvocationStatus.OK
            assert len(FakeExecutor.instances) == 2
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


def test_timeout_kills_the_environment(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        invoker = _invoker(sink, {"fn": make_config(timeout=0.3)})
        try:
            result = await invoker.invoke("fn", b'{"hang": true}')
            assert result.status is InvocationStatus.TIMEOUT
            assert "Task timed out after 0.30 seconds" in json.loads(result.payload)["errorMessage"]
            assert FakeExecutor.instances[0].stopped
            assert any("Task timed out" in m for m in sink.messages())
            assert any(m.startswith("REPORT") and "Status: timeout" in m for m in sink.messages())
            assert (await invoker.invoke("fn", b"{}")).status is InvocationStatus.OK
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("init", "error_type"), [("error", "Runtime.ImportModuleError"), ("exit", "Runtime.ExitError")]
)
def test_init_failure_is_a_function_error(sink: FakeLogSink, init: str, error_type: str) -> None:
    async def scenario() -> None:
        invoker = _invoker(sink, {"fn": make_config()}, init=init)
        try:
            result = await invoker.invoke("fn", b"{}")
            assert result.status is InvocationStatus.FUNCTION_ERROR
            assert result.function_error == "Unhandled"
            assert json.loads(result.payload)["errorType"] == error_type
            assert result.request_id
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


def test_concurrency_limit_throttles_when_nothing_frees_up(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        invoker = _invoker(sink, {"fn": make_config(timeout=1.0)}, max_concurrency=1, wait=0.1)
        try:
            busy = asyncio.ensure_future(invoker.invoke("fn", b'{"hang": true}'))
            await asyncio.sleep(0.1)
            throttled = await invoker.invoke("fn", b"{}")
            assert throttled.status is InvocationStatus.THROTTLED
            assert (await busy).status is InvocationStatus.TIMEOUT
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


def test_concurrent_calls_cold_start_up_to_the_limit(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        invoker = _invoker(sink, {"fn": make_config()}, max_concurrency=3, wait=2.0)
        try:
            results = await asyncio.gather(*(invoker.invoke("fn", b"{}") for _ in range(6)))
            assert all(r.status is InvocationStatus.OK for r in results)
            assert 1 <= len(FakeExecutor.instances) <= 3
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


def test_configuration_change_retires_warm_environments(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        configs = {"fn": make_config(revision="r1")}
        invoker = _invoker(sink, configs)
        try:
            await invoker.invoke("fn", b"{}")
            configs["fn"] = make_config(revision="r2")
            await invoker.registry.refresh_once()
            assert FakeExecutor.instances[0].stopped or await _eventually(
                lambda: FakeExecutor.instances[0].stopped
            )
            await invoker.invoke("fn", b"{}")
            assert len(FakeExecutor.instances) == 2
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


async def _eventually(probe: Any, timeout: float = 1.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if probe():
            return True
        await asyncio.sleep(0.01)
    return bool(probe())


@pytest.mark.parametrize(
    ("reserved", "running", "throttled"),
    [(1, 1, 4), (2, 2, 3), (0, 0, 5), (5, 5, 0)],
    ids=["reserved 1", "reserved 2", "reserved 0: never runs", "reserved 5: all run"],
)
def test_reserved_concurrency_caps_parallel_calls_and_throttles_the_rest_at_once(
    sink: FakeLogSink, reserved: int, running: int, throttled: int
) -> None:
    async def scenario() -> None:
        config = dataclasses.replace(make_config(timeout=0.5), reserved_concurrency=reserved)
        # A long account-level wait: reserved throttles must not use it.
        invoker = _invoker(sink, {"fn": config}, max_concurrency=10, wait=30.0)
        try:
            results = await asyncio.gather(*(invoker.invoke("fn", b'{"hang": true}') for _ in range(5)))
            refused = [r for r in results if r.status is InvocationStatus.THROTTLED]
            assert len(refused) == throttled
            assert len(results) - len(refused) == running == len(FakeExecutor.instances)
            assert all(
                json.loads(r.payload)
                == {
                    "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
                    "Type": "User",
                    "message": "Rate Exceeded.",
                }
                for r in refused
            )
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


def test_unreserved_functions_are_throttled_by_the_account_limit(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        invoker = _invoker(sink, {"fn": make_config(timeout=1.0)}, max_concurrency=1, wait=0.05)
        try:
            results = await asyncio.gather(*(invoker.invoke("fn", b'{"hang": true}') for _ in range(2)))
            (refused,) = [r for r in results if r.status is InvocationStatus.THROTTLED]
            assert json.loads(refused.payload)["Reason"] == "ConcurrentInvocationLimitExceeded"
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


def test_a_new_reservation_is_served_without_retiring_warm_environments(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        configs = {"fn": make_config()}
        invoker = _invoker(sink, configs)
        try:
            assert (await invoker.invoke("fn", b"{}")).status is InvocationStatus.OK
            configs["fn"] = dataclasses.replace(make_config(), reserved_concurrency=0)
            await invoker.registry.refresh_once()
            assert (await invoker.invoke("fn", b"{}")).status is InvocationStatus.THROTTLED
            assert not FakeExecutor.instances[0].stopped
            configs["fn"] = make_config()
            await invoker.registry.refresh_once()
            assert (await invoker.invoke("fn", b"{}")).status is InvocationStatus.OK
            assert len(FakeExecutor.instances) == 1
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


def test_reload_retires_warm_environments_and_warms_a_new_one_for_the_next_request(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        configs = {"fn": make_config()}
        invoker = _invoker(sink, configs)
        try:
            await invoker.invoke("fn", b"{}")
            config = await invoker.resolve("fn")
            assert config is not None
            assert await invoker.reload(config) == (1, None)
            await invoker.invoke("fn", b"{}")
            old, new = FakeExecutor.instances
            assert old.stopped and (old.handled, new.handled) == (1, 1)
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


def test_reload_answers_the_new_environments_init_error(sink: FakeLogSink) -> None:
    async def scenario() -> None:
        invoker = _invoker(sink, {"fn": make_config()}, init="error")
        try:
            config = await invoker.resolve("fn")
            assert config is not None
            retired, failure = await invoker.reload(config)
            assert retired == 0 and failure is not None
            assert json.loads(failure.payload)["errorType"] == "Runtime.ImportModuleError"
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())


def test_a_request_during_a_reload_takes_the_environment_it_warms_instead_of_starting_another(
    sink: FakeLogSink,
) -> None:
    async def scenario() -> None:
        invoker = _invoker(sink, {"fn": make_config()})
        try:
            config = await invoker.resolve("fn")
            assert config is not None
            reload = asyncio.ensure_future(invoker.reload(config))
            await asyncio.sleep(0)  # the reload has taken its environment and is starting it
            result = await invoker.invoke("fn", b'{"n": 1}')
            assert await reload == (0, None)
            assert result.status is InvocationStatus.OK
            assert len(FakeExecutor.instances) == 1 and FakeExecutor.instances[0].handled == 1
        finally:
            await invoker.shutdown()

    asyncio.run(scenario())
