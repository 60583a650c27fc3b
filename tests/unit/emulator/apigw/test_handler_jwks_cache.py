"""JWKS cache: OIDC discovery, caching, rate-limited refetch on unknown kid, outage behaviour."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from emulator.apigw.jwks_cache import AiohttpFetcher, JwksCache
from tests.unit.emulator.apigw.fakes import Issuer, run


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keys_are_found_through_discovery_and_cached() -> None:
    issuer = Issuer()
    cache = JwksCache(issuer.fetch)
    assert run(cache.key(issuer.issuer, "key-1")) is not None
    assert issuer.fetches == [
        issuer.issuer + "/.well-known/openid-configuration",
        issuer.issuer + "/.well-known/jwks.json",
    ]

    async def twice() -> None:
        await cache.key(issuer.issuer, "key-1")
        await cache.key(issuer.issuer, "key-1")

    run(twice())
    assert len(issuer.fetches) == 2


def test_unknown_kid_refetches_once_then_rate_limits() -> None:
    issuer, clock = Issuer(), Clock()
    cache = JwksCache(issuer.fetch, min_refetch_seconds=5, clock=clock)

    async def scenario() -> None:
        assert await cache.key(issuer.issuer, "key-1") is not None
        issuer.add_key("key-2")  # rotation at the issuer
        clock.now += 6
        assert await cache.key(issuer.issuer, "key-2") is not None  # found by one refetch
        fetches = len(issuer.fetches)
        assert await cache.key(issuer.issuer, "nope") is None
        assert len(issuer.fetches) == fetches  # within the rate limit: no new fetch
        clock.now += 6
        assert await cache.key(issuer.issuer, "nope") is None
        assert len(issuer.fetches) == fetches + 2  # one more discovery + JWKS fetch after the interval

    run(scenario())


def test_unreachable_issuer_keeps_cached_keys() -> None:
    issuer, clock = Issuer(), Clock()
    cache = JwksCache(issuer.fetch, min_refetch_seconds=0, max_age_seconds=1, clock=clock)

    async def scenario() -> None:
        assert await cache.key(issuer.issuer, "key-1") is not None
        issuer.reachable = False
        clock.now += 10  # stale: a refetch is attempted and fails
        assert await cache.key(issuer.issuer, "key-1") is not None
        assert await cache.key(issuer.issuer, "key-9") is None

    run(scenario())


def test_never_reached_issuer_gives_no_key() -> None:
    issuer = Issuer()
    issuer.reachable = False
    assert run(JwksCache(issuer.fetch).key(issuer.issuer, "key-1")) is None


def test_aiohttp_fetcher_reads_a_real_jwks_server() -> None:
    issuer = Issuer()

    async def scenario() -> None:
        app = web.Application()
        server = TestServer(app)

        async def discovery(_: web.Request) -> web.Response:
            return web.json_response({"jwks_uri": str(server.make_url("/jwks"))})

        async def jwks(_: web.Request) -> web.Response:
            return web.json_response(issuer.jwks())

        app.router.add_get("/.well-known/openid-configuration", discovery)
        app.router.add_get("/jwks", jwks)
        async with server, aiohttp.ClientSession() as session:
            cache = JwksCache(AiohttpFetcher(session))
            base = str(server.make_url("")).rstrip("/")
            assert await cache.key(base, "key-1") is not None
            assert await cache.key(base + "/", "key-1") is not None  # trailing slash in the issuer

    run(scenario())


def test_refetch_keeps_unchanged_keys_and_replaces_a_key_rotated_in_place() -> None:
    issuer, clock = Issuer(), Clock()
    cache = JwksCache(issuer.fetch, min_refetch_seconds=5, clock=clock)

    async def scenario() -> None:
        original = await cache.key(issuer.issuer, "key-1")
        assert original is not None
        issuer.add_key("key-2")
        clock.now += 6
        assert await cache.key(issuer.issuer, "key-2") is not None
        assert cache.cached(issuer.issuer, "key-1") is original  # same JWK, same object
        issuer.add_key("key-1")  # new material under the old kid
        assert await cache.key_after_failure(issuer.issuer, "key-1", original) is original  # rate-limited
        clock.now += 6
        replaced = await cache.key_after_failure(issuer.issuer, "key-1", original)
        assert replaced is not None and replaced is not original
        # Already replaced: no refetch needed.
        assert await cache.key_after_failure(issuer.issuer, "key-1", original) is replaced
        assert len(issuer.fetches) == 6

    run(scenario())
