"""What both response mappings share: header values, header maps and the (base64) body."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from emulator.apigw.errors import IntegrationError

# Hop-by-hop or length headers the gateway computes itself.
DROPPED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


def parse(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise IntegrationError("Lambda response is not valid JSON") from None


def status_code(document: dict[str, Any]) -> int:
    status = document["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise IntegrationError(f"Lambda response has an invalid statusCode {status!r}")
    return status


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise IntegrationError(f"header value {value!r} is not a string")


def mapping(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key) or {}
    if not isinstance(value, dict):
        raise IntegrationError(f"Lambda response {key} is not an object")
    return value


def body_bytes(document: dict[str, Any]) -> bytes:
    body = document.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise IntegrationError("Lambda response body is not a string")
    if document.get("isBase64Encoded") is True:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise IntegrationError("Lambda response body is not valid base64") from None
    return body.encode("utf-8")
