"""The aiohttp application: discovery, JWKS, token endpoint and key rotation, under the issuer's path."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from mock_idp.client import ROTATE_PATH, TOKEN_PATH
from mock_idp.config import Settings
from mock_idp.keys import Clock, KeySet
from mock_idp.oauth_errors import NO_STORE, OAuthError
from mock_idp.token_request import check_token_request
from mock_idp.tokens import access_token_claims, sign

log = logging.getLogger("mock_idp")

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
KEYS: web.AppKey[KeySet] = web.AppKey("keys", KeySet)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")


def issuer_path(issuer: str) -> str:
    """Path prefix the endpoints live under: discovery is at <issuer>/.well-known/openid-configuration."""
    return urlsplit(issuer).path.rstrip("/")


def discovery_document(settings: Settings) -> dict[str, Any]:
    issuer = settings.resolved_issuer
    base = issuer.rstrip("/")
    return {
        "issuer": issuer,
        "jwks_uri": base + JWKS_PATH,
        "token_endpoint": base + TOKEN_PATH,
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": settings.all_scopes,
        # Access tokens are the only tokens; the OIDC field name is what verifiers look for.
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        # No authorization endpoint: client_credentials uses no response_type (RFC 8414 requires the field).
        "response_types_supported": [],
        "claims_supported": ["iss", "sub", "aud", "scope", "iat", "nbf", "exp", "jti", "client_id"],
    }


async def discovery(request: web.Request) -> web.Response:
    return web.json_response(discovery_document(request.app[SETTINGS]))


async def jwks(request: web.Request) -> web.Response:
    return web.json_response(request.app[KEYS].jwks())


async def token(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    try:
        grant = check_token_request(
            settings,
            request.headers.get("Content-Type", ""),
            await request.read(),
            request.headers.get("Authorization"),
        )
    except OAuthError as error:
        log.info("token refused error=%s description=%r", error.code, error.description)
        return error.response()
    key = request.app[KEYS].current
    claims = access_token_claims(
        issuer=settings.resolved_issuer,
        audience=settings.audience,
        client_id=grant.client.client_id,
        scopes=grant.scopes,
        lifetime_seconds=settings.token_lifetime_seconds,
        now=request.app[CLOCK](),
    )
    log.info(
        "token issued client_id=%s scope=%r kid=%s jti=%s",
        grant.client.client_id,
        claims["scope"],
        key.kid,
        claims["jti"],
    )
    body = {
        "access_token": sign(claims, key),
        "token_type": "Bearer",
        "expires_in": settings.token_lifetime_seconds,
        "scope": claims["scope"],
    }
    return web.Response(text=json.dumps(body), content_type="application/json", headers=dict(NO_STORE))


async def rotate_keys(request: web.Request) -> web.Response:
    """Admin: a new signer; the old one stays in the JWKS for `overlap_seconds` (JSON body) or the default.

    `{"keep_kid": true}` (test aid) replaces the current key's material under the same kid instead.
    """
    overlap: float | None = None
    keep_kid = False
    if request.can_read_body:
        try:
            payload = await request.json()
            if not isinstance(payload, dict):
                raise ValueError("body must be a JSON object")
            raw = payload.get("overlap_seconds")
            if raw is not None:
                if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
                    raise ValueError("overlap_seconds must be a non-negative number")
                overlap = float(raw)
            keep_kid = payload.get("keep_kid", False)
            if not isinstance(keep_kid, bool):
                raise ValueError("keep_kid must be true or false")
            if keep_kid and overlap is not None:
                raise ValueError("keep_kid withdraws the old material at once: no overlap_seconds")
        except ValueError as exc:
            return web.json_response({"message": f"invalid rotation request: {exc}"}, status=400)
    keys = request.app[KEYS]
    previous = keys.current.kid
    new_key = keys.rotate_in_place() if keep_kid else keys.rotate(overlap)
    log.info("keys rotated new_kid=%s previous_kid=%s", new_key.kid, previous)
    return web.json_response(
        {
            "kid": new_key.kid,
            "previous_kid": previous,
            "published_kids": [k.kid for k in keys.published()],
        }
    )


def create_app(settings: Settings, keys: KeySet, *, clock: Clock = time.time) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app[KEYS] = keys
    app[CLOCK] = clock
    prefix = issuer_path(settings.resolved_issuer)
    app.router.add_get(prefix + DISCOVERY_PATH, discovery)
    app.router.add_get(prefix + JWKS_PATH, jwks)
    app.router.add_post(prefix + TOKEN_PATH, token)
    app.router.add_post(prefix + ROTATE_PATH, rotate_keys)
    return app


def serve(settings: Settings) -> None:
    """Run the issuer until interrupted, with keys from settings.key_dir."""
    keys = KeySet.open(settings.key_dir, overlap_seconds=settings.key_overlap_seconds)
    log.info(
        "serving issuer=%s host=%s port=%s key_dir=%s kid=%s",
        settings.resolved_issuer,
        settings.host,
        settings.port,
        settings.key_dir,
        keys.current.kid,
    )
    web.run_app(
        create_app(settings, keys),
        host=settings.host,
        port=settings.port,
        print=None,
        access_log=logging.getLogger("mock_idp.access"),
        handle_signals=True,
    )
