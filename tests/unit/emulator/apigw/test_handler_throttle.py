"""Throttle step: token bucket per API/stage/route from DefaultRouteSettings and RouteSettings."""

from __future__ import annotations

import pytest

from emulator.apigw.errors import TooManyRequests
from emulator.apigw.model import Stage, Throttle
from emulator.apigw.throttle import ThrottleRequest, Throttles, TokenBucket
from tests.unit.emulator.apigw.fakes import api, context, route, run


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_burst_then_refills_at_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(Throttle(rate=2.0, burst=3), clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one token at 2/s
    assert bucket.take() is True
    assert bucket.take() is False


def test_zero_rate_and_burst_block_everything() -> None:
    assert Throttles(Clock()).allow("a", "s", "GET /", Throttle(0.0, 0)) is False


def test_no_settings_means_no_throttling() -> None:
    throttles = Throttles(Clock())
    assert all(throttles.allow("a", "s", "GET /", None) for _ in range(1000))


def test_route_settings_override_stage_default_and_buckets_are_per_route() -> None:
    stage = Stage(
        "$default", default_throttle=Throttle(1.0, 1), route_throttles={"GET /hot": Throttle(0.0, 0)}
    )
    assert stage.throttle_for("GET /hot") == Throttle(0.0, 0)
    throttles = Throttles(Clock())
    assert throttles.allow("a", "$default", "GET /a", stage.throttle_for("GET /a"))
    assert throttles.allow("a", "$default", "GET /b", stage.throttle_for("GET /b"))  # own bucket
    assert not throttles.allow("a", "$default", "GET /a", stage.throttle_for("GET /a"))


def test_step_raises_429_too_many_requests() -> None:
    the_api = api(
        route("GET /books"), stages={"$default": Stage("$default", default_throttle=Throttle(0.0, 1))}
    )
    step = ThrottleRequest(Throttles(Clock()))
    run(step(context("GET", "/books", the_api=the_api, route=the_api.routes.routes[0])))
    with pytest.raises(TooManyRequests) as raised:
        run(step(context("GET", "/books", the_api=the_api, route=the_api.routes.routes[0])))
    assert raised.value.status == 429
    assert raised.value.body() == b'{"message":"Too Many Requests"}'
