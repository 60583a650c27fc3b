"""Command-line clients of a running issuer: fetch a token, rotate its keys (over mock_idp/client.py)."""

from __future__ import annotations

import json
import sys
from typing import Any

from mock_idp import client
from mock_idp.client import ClientError as CommandError

__all__ = ["CommandError", "fetch_token", "rotate", "write_line"]


def fetch_token(issuer: str, client_id: str, client_secret: str, scope: str | None) -> str:
    """An access token from <issuer>/oauth2/token (client_credentials, HTTP Basic client auth)."""
    return client.fetch_token(client.token_url(issuer), client_id, client_secret, scope)


def rotate(issuer: str, overlap_seconds: float | None) -> dict[str, Any]:
    payload = {} if overlap_seconds is None else {"overlap_seconds": overlap_seconds}
    url = client.issuer_base(issuer) + client.ROTATE_PATH
    return client.post(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})


def write_line(text: str) -> None:
    # The token (or JSON) is the command's output, so it goes to stdout unadorned for $(...) capture.
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
