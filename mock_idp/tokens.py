"""Access tokens: the claims of a client_credentials token and RS256 signing with pyjwt."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import jwt

from mock_idp.keys import SigningKey


def access_token_claims(
    *,
    issuer: str,
    audience: str,
    client_id: str,
    scopes: Iterable[str],
    lifetime_seconds: int,
    now: float,
) -> dict[str, Any]:
    """Claims as a client_credentials access token carries them; `sub` is the client (no user involved)."""
    issued_at = int(now)
    return {
        "iss": issuer,
        "sub": client_id,
        "aud": audience,
        "scope": " ".join(scopes),
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime_seconds,
        "jti": uuid.uuid4().hex,
        "client_id": client_id,
    }


def sign(
    claims: Mapping[str, Any], key: SigningKey, *, extra_headers: Mapping[str, Any] | None = None
) -> str:
    """An RS256 JWT over `claims`, with the key's kid in the header so verifiers can pick it from the JWKS."""
    headers = {"kid": key.kid, **(extra_headers or {})}
    return jwt.encode(dict(claims), key.private_key, algorithm="RS256", headers=headers)
