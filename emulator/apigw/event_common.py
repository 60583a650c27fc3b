"""What both payload formats share: request time in CLF, and how a request body is passed (text or base64)."""

from __future__ import annotations

import base64
import time

from emulator.apigw.context import RequestContext

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TEXT_TYPES = ("json", "xml", "javascript", "x-www-form-urlencoded", "yaml", "graphql", "csv", "html")


def clf_time(epoch_ms: int) -> str:
    """dd/MMM/yyyy:HH:mm:ss +0000 in English whatever the locale (requestContext.time, $context.requestTime)."""
    t = time.gmtime(epoch_ms / 1000)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def is_text(content_type: str) -> bool:
    """Bodies API Gateway passes as text; everything else (or no content type) goes base64-encoded."""
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime.startswith("text/") or any(kind in mime for kind in _TEXT_TYPES)


def event_body(ctx: RequestContext) -> tuple[str | None, bool]:
    """(body, isBase64Encoded): None for an empty body; base64 unless textual and valid UTF-8."""
    body = ctx["body"]
    if not body:
        return None, False
    if is_text(ctx["request"].headers.get("Content-Type", "")):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def protocol(ctx: RequestContext) -> str:
    version = ctx["request"].version
    return f"HTTP/{version.major}.{version.minor}"
