"""Authorize step: API Gateway's JWT authorizer for HTTP APIs.

AWS's documented workflow (http-api-jwt-authorizer, "Authorizing API requests"):
1. take the token from the identity source, with or without a "Bearer " prefix;
2. decode it; check algorithm and signature against the issuer's `jwks_uri` keys (RSA algorithms only);
3. `kid` must match a key in the JWKS; `iss` must equal the authorizer's issuer; `aud` — or `client_id` when
   `aud` is absent — must match one of its audiences; `exp` must be after, `nbf` and `iat` before, now (UTC);
4. when the route has authorization scopes, `scope` or `scp` must hold at least one of them.
Any failure is 401 {"message":"Unauthorized"} with a `www-authenticate: Bearer ... error="invalid_token"`
header (http-api-troubleshooting-jwt); a missing scope is 403 {"message":"Forbidden"}.

Where AWS is silent this is strict, see emulator/README.md "JWT authorizer rules": algorithms RS256/RS384/RS512
only (never "none" or HS*), `kid`, `exp` and `iat` required, no clock leeway, `aud` wins over `client_id` when
both are present (as the troubleshooting page says), an authorizer with no audiences denies every token.
Verified tokens are cached (bounded LRU keyed by authorizer and raw token) until their `exp`.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWK

from emulator.apigw.context import JwtPrincipal, RequestContext
from emulator.apigw.errors import Forbidden, Unauthorized
from emulator.apigw.jwks_cache import RSA_ALGORITHMS, JwksCache
from emulator.apigw.model import Authorizer

_DECODE_OPTIONS: Any = {
    "verify_signature": True,
    "verify_iss": True,
    # Time and audience rules are AWS's, checked below against an injectable clock.
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "require": ["iss"],
}


def render_claim(value: Any) -> str:
    """A claim as API Gateway passes it in requestContext.authorizer.jwt.claims: always a string.

    Strings as they are; numbers as their JSON text (1700000000, not 1.7e+09); booleans "true"/"false";
    arrays as "[a b c]" (space separated, no quotes); objects as "map[k1:v1 k2:v2]" (keys sorted) — the
    shapes HTTP API events carry (aws-lambda-go issues #294/#570, AWS samples parsing "[g1 g2]" group claims).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + " ".join(render_claim(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{render_claim(value[k])}" for k in sorted(value)) + "]"
    return "<nil>" if value is None else str(value)


def token_scopes(claims: Mapping[str, Any]) -> list[str]:
    """Scopes from `scope` (space-separated string) and `scp` (list or space-separated string)."""
    scopes: list[str] = []
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            scopes.extend(value.split())
        elif isinstance(value, list):
            scopes.extend(str(item) for item in value)
    return scopes


_NO_KEY = "the token's kid matches no key of the issuer (or the issuer is unreachable)"


def _challenge(description: str, scope: str = "", error: str = "invalid_token") -> dict[str, str]:
    return {"www-authenticate": f'Bearer scope="{scope}" error="{error}" error_description="{description}"'}


def _deny(description: str) -> Unauthorized:
    return Unauthorized(description, _challenge(description))


@dataclass(frozen=True)
class _Verified:
    claims: dict[str, Any]
    rendered: dict[str, str]
    scopes: tuple[str, ...]
    exp: float
    nbf: float
    kid: str
    key: PyJWK  # the JWKS key that verified it: once the issuer replaces that key, verify anew


class JwtAuthorizer:
    """Validates tokens for one process; holds the JWKS cache and the verified-token cache."""

    def __init__(
        self, jwks: JwksCache, *, cache_size: int = 4096, clock: Callable[[], float] = time.time
    ) -> None:
        self._jwks = jwks
        self._clock = clock
        self._cache_size = cache_size
        self._verified: OrderedDict[tuple[str, str, tuple[str, ...], str], _Verified] = OrderedDict()

    async def authorize(
        self, authorizer: Authorizer, scopes: tuple[str, ...], token_source: str | None
    ) -> JwtPrincipal:
        """Validate the identity-source value for a route; raise Unauthorized / Forbidden."""
        if authorizer.type != "JWT":
            raise _deny(f"authorizer type {authorizer.type or '?'} is not supported by the emulator")
        if not token_source:
            # RFC 6750 3.1: no credentials at all -> a bare challenge without an error code.
            raise Unauthorized("no token in the identity source", {"www-authenticate": "Bearer"})
        token = token_source[7:] if token_source[:7].lower() == "bearer " else token_source
        token = token.strip()
        verified = await self._verify(authorizer, token)
        if scopes and not set(scopes) & set(verified.scopes):
            wanted = " ".join(scopes)
            raise Forbidden(
                "the token has none of the route's scopes",
                _challenge("the token does not have the required scopes", wanted, "insufficient_scope"),
            )
        return {"claims": verified.rendered, "scopes": list(verified.scopes) if scopes else None}

    async def _verify(self, authorizer: Authorizer, token: str) -> _Verified:
        key = (authorizer.id, authorizer.issuer, authorizer.audience, token)
        now = self._clock()
        cached = self._verified.get(key)
        if cached is not None and self._jwks.cached(authorizer.issuer, cached.kid) is not cached.key:
            del self._verified[key]  # its key left the JWKS (or was replaced under its kid)
            cached = None
        if cached is not None:
            self._verified.move_to_end(key)
            self._check_times(cached.exp, cached.nbf, None, now)
            return cached
        verified = await self._verify_uncached(authorizer, token, now)
        self._verified[key] = verified
        if len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return verified

    async def _verify_uncached(self, authorizer: Authorizer, token: str, now: float) -> _Verified:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _deny("the token is not a valid JWT") from None
        algorithm = header.get("alg")
        if algorithm not in RSA_ALGORITHMS:
            raise _deny(f"signing method {algorithm} is invalid")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _deny("the token has no kid")
        if not authorizer.issuer:
            raise _deny("the authorizer has no issuer")
        jwk = await self._jwks.key(authorizer.issuer, kid)
        if jwk is None:
            raise _deny(_NO_KEY)
        try:
            claims = _decode(token, jwk, algorithm, authorizer.issuer)
        except jwt.InvalidSignatureError:
            # A key rotated in place (same kid, new material) is a key not seen yet: refetch like an unknown kid.
            fresh = await self._jwks.key_after_failure(authorizer.issuer, kid, jwk)
            if fresh is None:
                raise _deny(_NO_KEY) from None
            if fresh is jwk:
                raise _deny("the token signature is invalid") from None
            jwk = fresh
            try:
                claims = _decode(token, jwk, algorithm, authorizer.issuer)
            except jwt.InvalidSignatureError:
                raise _deny("the token signature is invalid") from None
        self._check_audience(authorizer, claims)
        exp, nbf, iat = _number(claims, "exp"), _number(claims, "nbf", float("-inf")), _number(claims, "iat")
        self._check_times(exp, nbf, iat, now)
        rendered = {name: render_claim(value) for name, value in claims.items()}
        return _Verified(claims, rendered, tuple(token_scopes(claims)), exp, nbf, kid, jwk)

    @staticmethod
    def _check_audience(authorizer: Authorizer, claims: Mapping[str, Any]) -> None:
        if "aud" in claims:
            aud = claims["aud"]
            presented = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        else:
            presented = [claims["client_id"]] if isinstance(claims.get("client_id"), str) else []
        if not set(authorizer.audience) & {str(a) for a in presented}:
            raise _deny("the token does not have a valid audience")

    @staticmethod
    def _check_times(exp: float, nbf: float, iat: float | None, now: float) -> None:
        if now >= exp:
            raise _deny("the token has expired")
        if now < nbf:
            raise _deny("the token is not valid yet")
        if iat is not None and now < iat:
            raise _deny("the token was issued in the future")


def _decode(token: str, jwk: PyJWK, algorithm: str, issuer: str) -> dict[str, Any]:
    """Signature and `iss` checked; any failure but a bad signature (the caller may refetch) is a 401."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key=jwk.key, algorithms=[algorithm], issuer=issuer, options=_DECODE_OPTIONS
        )
    except jwt.InvalidSignatureError:
        raise
    except jwt.InvalidIssuerError:
        raise _deny("the token does not have a valid issuer") from None
    except jwt.MissingRequiredClaimError as exc:
        raise _deny(f"the token has no {exc.claim} claim") from None
    except jwt.PyJWTError as exc:
        raise _deny(f"the token is invalid: {exc}") from None
    return claims


def _number(claims: Mapping[str, Any], name: str, default: float | None = None) -> float:
    value = claims.get(name)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _deny(f"the token has no valid {name} claim")
    return float(value)


def identity_value(identity_source: tuple[str, ...], ctx: RequestContext) -> str | None:
    """The token named by the authorizer's identity source ($request.header.X or $request.querystring.X)."""
    request = ctx["request"]
    for source in identity_source:
        if source.lower().startswith("$request.header."):
            value = request.headers.get(source[len("$request.header.") :])
        elif source.startswith("$request.querystring."):
            value = request.rel_url.query.get(source[len("$request.querystring.") :])
        else:
            value = None
        if value:
            return value
    return None


class AuthorizeRequest:
    """Pipeline step: runs the route's JWT authorizer; sets ctx["principal"] or raises 401/403."""

    def __init__(self, authorizer: JwtAuthorizer) -> None:
        self._authorizer = authorizer

    async def __call__(self, ctx: RequestContext) -> None:
        route = ctx["route"]
        if route.authorization_type == "NONE":
            return
        config = ctx["api"].authorizers.get(route.authorizer_id)
        if route.authorization_type != "JWT" or config is None:
            ctx["authorizer_error"] = (
                f"route {route.route_key}: authorization {route.authorization_type} unavailable"
            )
            raise Unauthorized(ctx["authorizer_error"])
        try:
            ctx["principal"] = await self._authorizer.authorize(
                config, route.scopes, identity_value(config.identity_source, ctx)
            )
        except (Unauthorized, Forbidden) as exc:
            ctx["authorizer_error"] = exc.detail
            raise
