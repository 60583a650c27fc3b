"""Respond step: map the function's payload format 2.0 response to the HTTP response.

AWS (http-api-develop-integrations-lambda, "Lambda function response for format 2.0"):
- JSON object with `statusCode`: status, `headers`, `cookies` (each a set-cookie header), `body`,
  `isBase64Encoded` (body base64-decoded);
- any other valid JSON without `statusCode`: status 200, content-type application/json, the JSON as body
  (a JSON string is sent as the string itself);
- anything API Gateway cannot map (not JSON, bad statusCode, non-string body, bad base64) is
  500 {"message":"Internal Server Error"}.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from emulator.apigw.context import RequestContext
from emulator.apigw.errors import IntegrationError

# Hop-by-hop or length headers the gateway computes itself.
_DROPPED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise IntegrationError(f"header value {value!r} is not a string")


def map_response(payload: bytes) -> tuple[int, CIMultiDict[str], bytes]:
    """(status, headers, body) for a function's raw response; raises IntegrationError when unmappable."""
    try:
        document = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise IntegrationError("Lambda response is not valid JSON") from None
    headers: CIMultiDict[str] = CIMultiDict()
    if not isinstance(document, dict) or "statusCode" not in document:
        headers["Content-Type"] = "application/json"
        text = document if isinstance(document, str) else payload.decode("utf-8")
        return 200, headers, text.encode("utf-8")
    status = document["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise IntegrationError(f"Lambda response has an invalid statusCode {status!r}")
    for name, value in _mapping(document, "headers").items():
        if name.lower() not in _DROPPED:
            headers[name] = _scalar(value)
    for name, values in _mapping(document, "multiValueHeaders").items():
        if name.lower() not in _DROPPED:
            for value in values if isinstance(values, list) else [values]:
                headers.add(name, _scalar(value))
    cookies = document.get("cookies") or []
    if not isinstance(cookies, list):
        raise IntegrationError("Lambda response cookies is not a list")
    for cookie in cookies:
        headers.add("Set-Cookie", _scalar(cookie))
    body = document.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise IntegrationError("Lambda response body is not a string")
    elif document.get("isBase64Encoded") is True:
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise IntegrationError("Lambda response body is not valid base64") from None
    else:
        data = body.encode("utf-8")
    if "Content-Type" not in headers and data:
        headers["Content-Type"] = "application/json"
    return status, headers, data


def _mapping(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key) or {}
    if not isinstance(value, dict):
        raise IntegrationError(f"Lambda response {key} is not an object")
    return value


class MapResponse:
    """Pipeline step: ctx["response"] from ctx["function_payload"]."""

    async def __call__(self, ctx: RequestContext) -> None:
        try:
            status, headers, body = map_response(ctx["function_payload"])
        except IntegrationError as exc:
            ctx["integration_error"] = exc.detail
            raise
        ctx["integration_function_status"] = status
        ctx["response"] = web.Response(status=status, headers=headers, body=body)
