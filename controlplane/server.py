"""Serve a WSGI app (moto's) under granian: HTTP/1.1 keep-alive, a reused thread pool, one worker process.

granian parses HTTP in Rust, off the GIL; of the servers measured (bench/controlplane_server_bench.py) it
spent the least CPU per DynamoDB request. It forks one worker that calls the app; moto's state lives in
that worker alone, so there must never be more than one.

Unlike werkzeug's MotoRequestHandler, granian folds a header with an underscore into the environ like any
other (werkzeug drops them, keeping only S3 user metadata such as `x-amz-meta-my_key`, under its original
spelling). Our stack sends no such headers; S3 would report that metadata key as `my-key`.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import MPServer

# Threads that run the app. Idle kept-alive connections wait in granian's Rust runtime, not on a thread.
THREADS = 16

WSGIApp = Callable[..., Any]


def serve(app: WSGIApp, host: str, port: int) -> None:
    """Serve `app` until SIGINT or SIGTERM (wrap `app` in middleware before passing it here)."""
    # The worker must inherit `app` (and moto patched in place) by fork: a spawned one would rebuild neither.
    multiprocessing.set_start_method("fork", force=True)
    server = MPServer(
        "controlplane",  # a label only: the worker gets `app` from the loader below, inherited by fork
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=THREADS,
        log_level=LogLevels.warning,
    )
    server.serve(target_loader=lambda *_: app, wrap_loader=False)
