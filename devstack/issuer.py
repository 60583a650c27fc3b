"""The issuer the local authorizer trusts: mock_idp's, or one chosen with JWT_ISSUER and kept in the state dir."""

from __future__ import annotations

import re
from pathlib import Path

from devstack.config import StackConfig

MOCK = (
    "mock"  # JWT_ISSUER=mock: back to mock_idp (an empty JWT_ISSUER is the same as none, like every variable)
)
MOCK_RESET = f"JWT_ISSUER={MOCK} make local-up"
# terraform/variables.tf's validation of jwt_issuer, character for character (a unit test compares the two), so
# a bad value fails before anything starts: https, or http on loopback only; a trailing slash is part of iss.
ISSUER_PATTERN = r"^(https://[^\s/?#]+|http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?)(/[^\s?#]*)?$"
_ISSUER = re.compile(ISSUER_PATTERN)


class IssuerError(ValueError):
    """JWT_ISSUER (or the remembered choice) is not an issuer terraform/ would accept."""


def checked(value: str, source: str = "JWT_ISSUER") -> str:
    if not _ISSUER.fullmatch(value):
        raise IssuerError(
            f"{source} must be an https URL with no query or fragment, e.g. https://idp.example.com"
            f" (plain http only on 127.0.0.1, localhost or [::1]; or {MOCK!r} for mock_idp), not {value!r}"
        )
    return value


def choice_path(config: StackConfig) -> Path:
    return config.state_dir / "jwt_issuer"


def in_force(config: StackConfig) -> str:
    """JWT_ISSUER when given, else the issuer an earlier local-up was given, else mock_idp's; remembered."""
    path = choice_path(config)
    chosen = config.jwt_issuer
    if not chosen and path.exists():
        chosen = checked(path.read_text().strip(), str(path))
    if not chosen or chosen == MOCK or chosen == config.issuer_url:
        path.unlink(missing_ok=True)
        return config.issuer_url
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(checked(chosen) + "\n")
    return chosen


def is_mock(config: StackConfig, issuer: str) -> bool:
    return issuer == config.issuer_url
