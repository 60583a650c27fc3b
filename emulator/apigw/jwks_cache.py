"""Per-issuer JWKS cache found through OIDC discovery, with a rate-limited refetch on a key it has not seen.

A key not seen is an unknown `kid`, or a known `kid` whose cached key fails a signature (the issuer rotated the
key material in place). Keys are kept as PyJWK objects so verification never re-parses JWKs; a refetch keeps
the same object for a JWK that did not change, so identity tells callers whether a key was replaced. Fetches use the timeouts of the HTTP API
quotas (1500 ms for the discovery document and for the JWKS endpoint). When the issuer is unreachable the
cached keys stay in use: tokens signed by a cached key still verify, any other token is denied (401).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
from jwt import PyJWK, PyJWKError

log = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 1.5
RSA_ALGORITHMS = ("RS256", "RS384", "RS512")


class JsonFetcher(Protocol):
    """GET a URL and return its JSON body; raise on any failure."""

    async def __call__(self, url: str) -> Any: ...


class AiohttpFetcher:
    """The production fetcher: one shared aiohttp session, 1.5 s total timeout per request."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)

    async def __call__(self, url: str) -> Any:
        async with self._session.get(url, timeout=self._timeout, allow_redirects=False) as response:
            response.raise_for_status()
            return await response.json(content_type=None)


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass
class _IssuerKeys:
    keys: dict[str, PyJWK] = field(default_factory=dict)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetched_at: float = 0.0
    attempted_at: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class JwksCache:
    """`await cache.key(issuer, kid)` -> PyJWK or None (unknown kid, or issuer unreachable with no such key)."""

    def __init__(
        self,
        fetcher: JsonFetcher,
        *,
        min_refetch_seconds: float = 5.0,
        max_age_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetcher
        self._min_refetch = min_refetch_seconds
        self._max_age = max_age_seconds
        self._clock = clock
        self._issuers: dict[str, _IssuerKeys] = {}

    async def key(self, issuer: str, kid: str) -> PyJWK | None:
        entry = self._issuers.get(issuer)
        if entry is None:
            entry = self._issuers[issuer] = _IssuerKeys()
        found = entry.keys.get(kid)
        stale = self._clock() - entry.fetched_at > self._max_age
        if found is not None and not stale:
            return found
        await self._refetch(issuer, entry)
        return entry.keys.get(kid, found)

    async def key_after_failure(self, issuer: str, kid: str, failed: PyJWK) -> PyJWK | None:
        """The key for `kid` once `failed` did not verify a token: refetched (same rate limit as an unknown
        kid) unless the cache already holds a newer one. `failed` again means the issuer still publishes it."""
        entry = self._issuers.setdefault(issuer, _IssuerKeys())
        current = entry.keys.get(kid)
        if current is not failed:
            return current  # another request already refetched
        await self._refetch(issuer, entry)
        return entry.keys.get(kid)

    def cached(self, issuer: str, kid: str) -> PyJWK | None:
        """The cached key for `kid`, without fetching (None when unknown)."""
        entry = self._issuers.get(issuer)
        return entry.keys.get(kid) if entry is not None else None

    async def warm(self, issuer: str) -> None:
        """Fetch an issuer's keys ahead of the first request (no-op when cached)."""
        entry = self._issuers.setdefault(issuer, _IssuerKeys())
        if not entry.keys:
            await self._refetch(issuer, entry)

    async def _refetch(self, issuer: str, entry: _IssuerKeys) -> None:
        attempted = entry.attempted_at
        async with entry.lock:
            if entry.attempted_at != attempted:
                return  # another request refetched while we waited for the lock
            if self._clock() - entry.attempted_at < self._min_refetch:
                return  # rate limit: unknown kids or bad signatures must not become a flood at the issuer
            entry.attempted_at = self._clock()
            try:
                keys = await self._load(issuer)
            except Exception as exc:
                log.warning(
                    "JWKS for issuer %s unavailable, keeping %d cached key(s): %s",
                    issuer,
                    len(entry.keys),
                    exc,
                )
                return
            # An unchanged JWK keeps its PyJWK object: tokens verified with it stay verified.
            entry.keys = {
                kid: entry.keys[kid] if entry.raw.get(kid) == jwk and kid in entry.keys else parsed
                for kid, (jwk, parsed) in keys.items()
            }
            entry.raw = {kid: jwk for kid, (jwk, _) in keys.items()}
            entry.fetched_at = self._clock()

    async def _load(self, issuer: str) -> dict[str, tuple[dict[str, Any], PyJWK]]:
        discovery = await self._fetch(discovery_url(issuer))
        jwks_uri = discovery.get("jwks_uri") if isinstance(discovery, dict) else None
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise ValueError("discovery document has no jwks_uri")
        document = await self._fetch(jwks_uri)
        keys: dict[str, tuple[dict[str, Any], PyJWK]] = {}
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
                continue  # only RSA keys can verify (AWS supports RSA-based algorithms only)
            if jwk.get("use", "sig") != "sig":
                continue
            try:
                parsed = PyJWK(jwk, algorithm=jwk.get("alg") or "RS256")
            except PyJWKError as exc:
                log.warning("issuer %s: skipping unusable key %s: %s", issuer, jwk.get("kid"), exc)
                continue
            keys[str(jwk["kid"])] = (jwk, parsed)
        return keys
