"""Deliberately invalid access tokens for authorizer tests, signed where it matters with the real key.

Use `BadTokens.from_key_dir(key_dir, issuer=..., audience=...)` with the MOCK_IDP_KEY_DIR a running server was
started with: the server persists its signing keys there, so these tokens carry a kid the JWKS publishes.
`valid()` mints a good token the same way, so a test can show the rejection is about the defect alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from mock_idp.keys import Clock, SigningKey, load_current_key
from mock_idp.tokens import access_token_claims, sign

# The defects a JWT authorizer must answer with 401 (missing_scope is a 403: the token itself is good).
UNAUTHORIZED_CASES = (
    "expired",
    "not_yet_valid",
    "wrong_issuer",
    "wrong_audience",
    "unknown_key",
    "known_kid_wrong_key",
    "alg_none",
    "hs256_with_public_key",
    "tampered_payload",
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class BadTokens:
    """Mints one kind of bad token per method; every other claim is what the issuer would have issued."""

    key: SigningKey
    issuer: str
    audience: str = "books-api"
    client_id: str = "local-writer"
    scopes: tuple[str, ...] = ("books:write", "books:read")
    lifetime_seconds: int = 3600
    clock: Clock = field(default=time.time)

    @classmethod
    def from_key_dir(cls, key_dir: Path, *, issuer: str, **options: Any) -> BadTokens:
        return cls(load_current_key(key_dir), issuer, **options)

    def claims(self, **overrides: Any) -> dict[str, Any]:
        claims = access_token_claims(
            issuer=self.issuer,
            audience=self.audience,
            client_id=self.client_id,
            scopes=self.scopes,
            lifetime_seconds=self.lifetime_seconds,
            now=self.clock(),
        )
        claims.update(overrides)
        return claims

    def valid(self, **overrides: Any) -> str:
        """A correct token (the control case), with optional claim overrides."""
        return sign(self.claims(**overrides), self.key)

    def expired(self) -> str:
        # Ten minutes past exp: beyond any clock-skew leeway a verifier may allow.
        now = int(self.clock())
        return self.valid(iat=now - 1200, nbf=now - 1200, exp=now - 600)

    def not_yet_valid(self) -> str:
        now = int(self.clock())
        return self.valid(iat=now, nbf=now + 600, exp=now + 1200)

    def wrong_issuer(self) -> str:
        return self.valid(iss=self.issuer.rstrip("/") + "/not-this-issuer")

    def wrong_audience(self) -> str:
        return self.valid(aud="some-other-api")

    def missing_scope(self, required: str = "books:write") -> str:
        """Valid in every way but without `required` in its scope claim (a 403, not a 401)."""
        remaining = [s for s in self.scopes if s != required] or ["books:read"]
        return self.valid(scope=" ".join(remaining))

    def unknown_key(self) -> str:
        """Signed by a key the issuer never published, under a kid the JWKS does not hold."""
        return sign(self.claims(), SigningKey.generate(self.clock()))

    def known_kid_wrong_key(self) -> str:
        """Signed by a foreign key under the issuer's current kid: only the signature check catches it."""
        stranger = SigningKey.generate(self.clock())
        return sign(self.claims(), SigningKey(self.key.kid, stranger.private_key, stranger.created_at))

    def alg_none(self) -> str:
        """An unsigned token (alg "none", empty signature) naming the issuer's kid."""
        return jwt.encode(self.claims(), key="", algorithm="none", headers={"kid": self.key.kid})

    def hs256_with_public_key(self) -> str:
        """The algorithm-confusion attack: HMAC-SHA256 keyed with the issuer's public key PEM.

        A verifier that lets the token's alg choose the algorithm would check this HMAC with the public key it
        fetched and accept it. pyjwt refuses to HS256-sign with a PEM public key (that refusal is the very
        defence), so the token is crafted with the standard library: hmac over "header.payload". That is token
        crafting for a negative test, not a cryptographic implementation.
        """
        header = {"alg": "HS256", "typ": "JWT", "kid": self.key.kid}
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, self.claims())
        )
        mac = hmac.new(self.key.public_pem(), signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{_b64url(mac)}"

    def tampered_payload(self) -> str:
        """A real signed token whose payload was then edited (scope widened, sub changed); signature kept."""
        header, _, signature = self.valid(scope="books:read").split(".")
        forged = self.claims(scope="books:write books:read books:admin", sub="someone-else")
        payload = _b64url(json.dumps(forged, separators=(",", ":")).encode())
        return f"{header}.{payload}.{signature}"

    def unauthorized_cases(self) -> dict[str, Callable[[], str]]:
        """Name -> minting function for each token a JWT authorizer must reject with 401."""
        return {name: getattr(self, name) for name in UNAUTHORIZED_CASES}
