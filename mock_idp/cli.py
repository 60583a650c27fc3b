"""Command-line clients of a running issuer: fetch a token, rotate its keys."""

from __future__ import annotations

import base64
import json
import sys
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote_plus, urlencode

from mock_idp.server import ROTATE_PATH, TOKEN_PATH


class CommandError(RuntimeError):
    """The command could not do its job; the message is shown to the user."""


def _post(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) only)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return dict(json.load(response))
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        raise CommandError(f"{url} answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise CommandError(f"cannot reach {url}: {exc}") from None


def _check_url(issuer: str) -> str:
    if not issuer.startswith(("http://", "https://")):
        raise CommandError(f"issuer {issuer!r} must be an http(s) URL")
    return issuer.rstrip("/")


def fetch_token(issuer: str, client_id: str, client_secret: str, scope: str | None) -> str:
    """An access token from <issuer>/oauth2/token (client_credentials, HTTP Basic client auth)."""
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    basic = base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()).decode()
    body = _post(
        _check_url(issuer) + TOKEN_PATH,
        urlencode(form).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"},
    )
    return str(body["access_token"])


def rotate(issuer: str, overlap_seconds: float | None) -> dict[str, Any]:
    payload = {} if overlap_seconds is None else {"overlap_seconds": overlap_seconds}
    return _post(
        _check_url(issuer) + ROTATE_PATH, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )


def write_line(text: str) -> None:
    # The token (or JSON) is the command's output, so it goes to stdout unadorned for $(...) capture.
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
