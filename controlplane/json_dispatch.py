"""DynamoDB, DynamoDB Streams and CloudWatch Logs calls go straight to moto's handler, not through Flask."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable
from typing import Any

from controlplane.fingerprints import fingerprints

# moto 5.2.5. For these services the Flask app of DomainDispatcherApplication.__call__ does nothing but
# match the one URL rule ("{0}/" or "{0}/$" in each urls.py) to Handler.dispatch through
# convert_to_flask_response.__call__, and flask-cors adds `Access-Control-Allow-Origin: *` to a request
# without an Origin header. That is what serve() does, without a Flask request context, URL map and
# after-request hooks per call: py-spy put them at 13% of the control plane's CPU under the soak bench.
REVIEWED_SOURCES = {
    "moto.moto_server.werkzeug_app.DomainDispatcherApplication.__call__": (
        "7b12179deceda48da3436e5e5d98f2c368344f1907c849f70b08da1ff367bef6"
    ),
    "moto.core.utils.convert_to_flask_response.__call__": (
        "2c82766d05909ebb416d91eb9db685b57c639346d5eaea28e3a3a89c6607153e"
    ),
    # Each service's url_paths: one rule, "/", to the response class's dispatch.
    "moto.dynamodb.urls": "1462adbdc8179dcc30370560ad923b20cb5a5033bcc48463fcd96d50eb97147b",
    "moto.dynamodbstreams.urls": "5c56104edc8ac58fd0800d9be5e71ae253866f5a8344411e87a4d32eb4c723d7",
    "moto.logs.urls": "2f551bfc2fc6a71da41cfea6162c57079f5dbebc696857967cae54eddf11aeaa",
}

# X-Amz-Target prefix -> (module, response class) of the JSON-protocol services whose only route is "/".
HANDLERS = {
    "DynamoDB_20120810": ("moto.dynamodb.responses", "DynamoHandler"),
    "DynamoDBStreams_20120810": ("moto.dynamodbstreams.responses", "DynamoDBStreamsHandler"),
    "Logs_20140328": ("moto.logs.responses", "LogsResponse"),
}
# What flask-cors (moto's CORS(app), default options) answers to a request that sent no Origin header.
CORS_HEADER = ("Access-Control-Allow-Origin", "*")


def current_fingerprints() -> dict[str, str]:
    for module in ("moto.dynamodb.urls", "moto.dynamodbstreams.urls", "moto.logs.urls"):
        importlib.import_module(module)  # fingerprint() finds a module as an attribute of its package
    return fingerprints(REVIEWED_SOURCES)


@functools.cache
def _dispatch_of(target_prefix: str) -> Callable[..., Any]:
    module, name = HANDLERS[target_prefix]
    return getattr(importlib.import_module(module), name).dispatch


def handler_for(environ: dict[str, Any]) -> Callable[..., Any] | None:
    """The response class's dispatch for a request this path serves, else None (Flask serves it)."""
    if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/" or "HTTP_ORIGIN" in environ:
        return None
    prefix = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")[0]
    return _dispatch_of(prefix) if prefix in HANDLERS else None


def serve(
    dispatch: Callable[..., Any], environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    """convert_to_flask_response.__call__ on a request moto's Flask app would have built from `environ`."""
    from botocore.exceptions import ClientError
    from flask import Response
    from moto.moto_api import recorder
    from moto.moto_server.werkzeug_app import BackendRequest

    request = BackendRequest(environ)
    try:
        recorder._record_request(request)
        result = dispatch(request, request.raw_url, dict(request.headers))
    except ClientError as exc:
        result = 400, {}, exc.response["Error"]["Message"]
    if len(result) == 3:
        status, headers, content = result
    else:
        status, headers, content = 200, {}, result
    response = Response(response=content, status=status, headers=headers)
    if CORS_HEADER[0] not in response.headers:
        response.headers[CORS_HEADER[0]] = CORS_HEADER[1]
    return response(environ, start_response)


def _direct(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def __call__(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        dispatch = handler_for(environ)
        if dispatch is None:
            return original(self, environ, start_response)
        return serve(dispatch, environ, start_response)

    return __call__


def install() -> None:
    """Before not_implemented.install(): its 501 wrapper must sit outside this path too."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    DomainDispatcherApplication.__call__ = _direct(DomainDispatcherApplication.__call__)  # type: ignore[method-assign]
