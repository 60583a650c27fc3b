"""Serve a WSGI app (moto's) under cheroot: HTTP/1.1 keep-alive and a reused pool of threads, one process."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import Any

from cheroot import wsgi
from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    should_preserve_original_header_name,
)

# Requests run on these threads; idle kept-alive connections wait in cheroot's selector, not on a thread.
THREADS = 16
# Seconds an idle kept-alive connection stays open. Long enough that a warm function's SDK client keeps
# its connection between invocations; the SDK reconnects by itself after the server closed one.
IDLE_TIMEOUT = 60

WSGIApp = Callable[..., Any]


class MotoGateway(wsgi.Gateway_10):
    """Header handling of moto's MotoRequestHandler (werkzeug_app.py) on cheroot.

    Headers with an underscore are dropped (WSGI cannot tell `X_Foo` from `X-Foo`), except S3 user
    metadata (`x-amz-meta-my_key`), whose spelling moto reads back from PRESERVED_HEADER_NAMES_ENVIRON_KEY;
    an underscored header never stands in for a dashed one.
    """

    def get_environ(self) -> dict[str, Any]:  # type: ignore[override]
        env: dict[str, Any] = super().get_environ()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in self.req.inheaders.items()]
        dashed = {environ_key_for_header(name): value for name, value in headers if "_" not in name}
        names: dict[str, str] = {}
        for name, value in headers:
            if "_" not in name:
                continue
            key = environ_key_for_header(name)
            if key in dashed:
                env[key] = dashed[key]
            elif should_preserve_original_header_name(name):
                names.setdefault(key, name)
                env[key] = value
            else:
                env.pop(key, None)
        env[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names
        return env


def make_server(app: WSGIApp, host: str, port: int) -> wsgi.Server:
    server = wsgi.Server((host, port), app, numthreads=THREADS, timeout=IDLE_TIMEOUT, request_queue_size=128)
    server.gateway = MotoGateway
    return server


def serve(app: WSGIApp, host: str, port: int) -> None:
    """Serve `app` until SIGINT or SIGTERM (wrap `app` in middleware before passing it here)."""
    server = make_server(app, host, port)

    def stop(signum: int, frame: Any) -> None:
        sys.exit(0)  # cheroot's safe_start stops its threads on SystemExit

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server.safe_start()
