"""Control plane outages: unreachable -> the gateway answers 503; back but empty -> nothing is served."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from emulator.apigw.api_registry import ApiRegistry
from emulator.apigw.model import Snapshot
from emulator.config import Settings
from emulator.gateway import create_gateway_app
from tests.unit.emulator.apigw.fakes import FakeInvoker, FakeSink, api, route, run, snapshot

Outcome = Snapshot | BaseException


def _registry(outcomes: list[Outcome]) -> ApiRegistry:
    def loader() -> Snapshot:
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return ApiRegistry(Settings(refresh_seconds=3600), loader=loader)


DEPLOYED = snapshot(api(route("GET /books")))
REFUSED = EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")


@pytest.mark.parametrize(
    ("failure", "reachable"),
    [
        (REFUSED, False),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:1/"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (ClientError({"Error": {"Code": "InternalFailure", "Message": "x"}}, "GetApis"), True),
        (KeyError("ApiId"), True),
    ],
    ids=["refused", "read timeout", "socket refused", "control plane error", "unexpected answer"],
)
def test_a_failed_refresh_keeps_the_snapshot_and_marks_only_unreachable_as_unreachable(
    failure: BaseException, reachable: bool
) -> None:
    registry = _registry([DEPLOYED, failure])
    run(registry.refresh())
    last_success = registry.last_refresh_epoch
    assert run(registry.refresh()) is False
    assert set(registry.snapshot.apis) == {"abc123"}
    state = registry.control_plane_state()
    assert (registry.reachable, state["reachable"]) == (reachable, reachable)
    assert registry.last_refresh_epoch == last_success and state["last_refresh"]
    assert state["last_error"].startswith(type(failure).__name__)


def test_a_control_plane_that_comes_back_empty_replaces_the_snapshot_with_nothing() -> None:
    registry = _registry([DEPLOYED, REFUSED, Snapshot()])
    for _ in range(3):
        run(registry.refresh())
    assert registry.reachable and registry.snapshot.apis == {}
    assert registry.control_plane_state()["last_error"] == ""


def test_state_before_any_refresh_is_not_reachable_and_never_refreshed() -> None:
    state = _registry([]).control_plane_state()
    assert (state["reachable"], state["last_refresh"], state["seconds_since_refresh"]) == (False, None, None)


def _client(registry: ApiRegistry) -> TestClient:
    return TestClient(
        TestServer(create_gateway_app(Settings(), FakeInvoker(), FakeSink(), registry=registry))
    )


def test_the_gateway_answers_503_while_unreachable_then_serves_what_the_control_plane_has() -> None:
    # The app's own background refresh takes the first outcome when the server starts.
    registry = _registry([DEPLOYED, DEPLOYED, REFUSED, Snapshot(), DEPLOYED])

    async def scenario() -> list[tuple[int, object]]:
        seen = []
        async with _client(registry) as client:
            for _ in range(4):
                await registry.refresh()
                response = await client.get("/books")
                seen.append((response.status, (await response.json()).get("message", "echo")))
        return seen

    assert run(scenario()) == [
        (200, "echo"),
        (503, "Service Unavailable"),  # moto down
        (404, "Not Found"),  # moto back, empty: nothing is served until the next apply
        (200, "echo"),  # applied again
    ]
