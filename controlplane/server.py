"""Serve a WSGI app (moto's) under cheroot: HTTP/1.1 keep-alive and a reused thread pool, in this process.

Of the servers measured (bench/controlplane_server_bench.py), granian spent the least CPU per request but
serves from a forked worker: a `kill -9` of the process local-up started leaves that worker serving the
port with moto's state, so the PID file no longer names the control plane, a restart finds the port taken,
and RSS read from the PID is the wrong process's. cheroot, next in CPU per request, keeps the app, its
threads and moto's state in the one process the PID file names, on every platform.

Unlike werkzeug's MotoRequestHandler, cheroot folds a header with an underscore into the environ like any
other (werkzeug drops them, keeping only S3 user metadata such as `x-amz-meta-my_key`, under its original
spelling). Our stack sends no such headers; S3 would report that metadata key as `my-key`.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

from cheroot import wsgi

# Threads that run the app; a kept-alive idle connection waits in cheroot's selector, not on a thread.
THREADS = 16

WSGIApp = Callable[..., Any]


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)  # cheroot's start() stops cleanly on it


def serve(app: WSGIApp, host: str, port: int) -> None:
    """Serve `app` until SIGINT or SIGTERM (wrap `app` in middleware before passing it here)."""
    server = wsgi.Server((host, port), app, numthreads=THREADS, server_name="controlplane")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.start()
    except KeyboardInterrupt:
        server.stop()
