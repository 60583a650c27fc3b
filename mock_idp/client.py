"""The one token helper: client_credentials against a token endpoint (mock_idp's, or any OAuth 2.0 one)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote_plus, urlencode

from mock_idp.config import DEFAULT_CLIENTS

TOKEN_PATH = "/oauth2/token"
ROTATE_PATH = "/admin/rotate-keys"
# mock_idp's default clients, which devstack's stacks run with: their secrets need not be passed.
DEFAULT_SECRETS = {client.client_id: client.client_secret for client in DEFAULT_CLIENTS}


class ClientError(RuntimeError):
    """The issuer could not be reached or refused the request; the message is one line for the user."""


def post(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    if not url.startswith(("http://", "https://")):
        raise ClientError(f"{url!r} must be an http(s) URL")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) only)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return dict(json.load(response))
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        raise ClientError(f"{url} answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ClientError(f"cannot reach {url}: {exc}") from None


def issuer_base(issuer: str) -> str:
    if not issuer.startswith(("http://", "https://")):
        raise ClientError(f"issuer {issuer!r} must be an http(s) URL")
    return issuer.rstrip("/")


def token_url(issuer: str) -> str:
    """mock_idp's token endpoint for an issuer URL."""
    return issuer_base(issuer) + TOKEN_PATH


def fetch_token(url: str, client_id: str, client_secret: str | None = None, scope: str | None = None) -> str:
    """An access token by client_credentials with HTTP Basic client auth (RFC 6749 2.3.1, form-encoded)."""
    secret = client_secret if client_secret is not None else DEFAULT_SECRETS.get(client_id)
    if secret is None:
        raise ClientError(f"unknown client {client_id!r}: pass its secret")
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    basic = base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()).decode()
    body = post(
        url,
        urlencode(form).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"},
    )
    if "access_token" not in body:
        raise ClientError(f"{url} answered without an access_token: {sorted(body)}")
    return str(body["access_token"])
