"""An operation moto does not implement answers 501 NotImplemented, which SDKs do not retry, not a 500."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

from controlplane.fingerprints import fingerprints

# moto 5.2.5: __call__ hands the request to the service's Flask app, which (debug mode) lets
# NotImplementedError from BaseResponse.call_action propagate.
REVIEWED_SOURCES = {
    "moto.moto_server.werkzeug_app.DomainDispatcherApplication.__call__": (
        "7b12179deceda48da3436e5e5d98f2c368344f1907c849f70b08da1ff367bef6"
    ),
}
ERROR_CODE = "NotImplemented"

# Why: moto raises NotImplementedError and werkzeug turns it into a 500 HTML page. The AWS SDKs retry a 500
# (aws-sdk-go-v2's default retryer: 500, 502, 503, 504), so the Terraform provider retries it up to 25 times
# with backoff and an apply hangs for minutes. A 501 with an AWS-shaped error fails the call at once.


def current_fingerprints() -> dict[str, str]:
    return fingerprints(REVIEWED_SOURCES)


def _operation(message: str) -> str:
    """'The update_stage action has not been implemented' -> 'UpdateStage' (moto's wording, else as is)."""
    found = re.search(r"The (\w+) action has not been implemented", message)
    if not found:
        return message
    return "".join(part.capitalize() for part in found.group(1).split("_"))


def error_response(
    environ: dict[str, Any], exc: NotImplementedError
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status, headers and body of the 501, in the request's protocol (query/XML or JSON)."""
    operation = _operation(str(exc))
    message = f"{operation} is not implemented by the local control plane (moto)"
    headers = [("x-amzn-ErrorType", ERROR_CODE), ("x-amzn-RequestId", "not-implemented")]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{ERROR_CODE}</Code><Message>{escape(message)}</Message></Error>"
            "<RequestId>not-implemented</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    else:
        body = json.dumps({"__type": ERROR_CODE, "message": message}).encode()
        headers.append(("Content-Type", "application/json"))
    headers.append(("Content-Length", str(len(body))))
    return "501 Not Implemented", headers, body


def _answering_501(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def __call__(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            result: Iterable[bytes] = original(self, environ, start_response)
        except NotImplementedError as exc:
            status, headers, body = error_response(environ, exc)
            start_response(status, headers)
            return [body]
        return result

    return __call__


def install() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    DomainDispatcherApplication.__call__ = _answering_501(  # type: ignore[method-assign]
        DomainDispatcherApplication.__call__
    )
