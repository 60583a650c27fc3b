"""Throttle step: token buckets per (API, stage, route key) from the stage's route settings.

AWS (http-api-throttling): token bucket; `RouteSettings[route key]` overrides `DefaultRouteSettings`;
over the limit the client gets 429 {"message":"Too Many Requests"}. A stage without throttling settings is not
throttled here (the account-level 10,000 rps / 5,000 burst quota is not emulated). As on AWS, a rate and
burst of 0 block every request of that route.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from emulator.apigw.context import RequestContext
from emulator.apigw.errors import TooManyRequests
from emulator.apigw.model import Throttle


class TokenBucket:
    """`burst` tokens at most, refilled at `rate` per second; each request takes one."""

    __slots__ = ("_clock", "_stamp", "_tokens", "settings")

    def __init__(self, settings: Throttle, clock: Callable[[], float]) -> None:
        self.settings = settings
        self._clock = clock
        self._tokens = float(settings.burst)
        self._stamp = clock()

    def take(self) -> bool:
        now = self._clock()
        burst = float(self.settings.burst)
        self._tokens = min(burst, self._tokens + (now - self._stamp) * self.settings.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class Throttles:
    """All buckets of the process; a bucket is rebuilt when its route's settings change."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}

    def allow(self, api_id: str, stage: str, route_key: str, settings: Throttle | None) -> bool:
        if settings is None:
            return True
        key = (api_id, stage, route_key)
        bucket = self._buckets.get(key)
        if bucket is None or bucket.settings != settings:
            bucket = self._buckets[key] = TokenBucket(settings, self._clock)
        return bucket.take()


class ThrottleRequest:
    """Pipeline step: 429 when the route's bucket is empty."""

    def __init__(self, throttles: Throttles) -> None:
        self._throttles = throttles

    async def __call__(self, ctx: RequestContext) -> None:
        stage, route = ctx["stage"], ctx["route"]
        if not self._throttles.allow(
            ctx["api"].id, stage.name, route.route_key, stage.throttle_for(route.route_key)
        ):
            raise TooManyRequests(f"throttled: {route.route_key} on stage {stage.name}")
