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
import socket
from collections.abc import Callable
from types import FrameType
from typing import Any

from cheroot import wsgi

# Threads that run the app; a kept-alive idle connection waits in cheroot's selector, not on a thread.
THREADS = 16
# cheroot's defaults are a listen backlog of 5 and at most 10 idle kept-alive connections. The stack's clients
# (every warm function environment, the projector's threads, the emulator's pollers and log shipper) hold
# more than 10, so cheroot answered `Connection: close`, the clients reconnected in bursts, the backlog of 5
# overflowed, and each dropped SYN cost the caller a 1 s (then 3 s) TCP retransmit: under a 40 writes/s soak
# the kernel counted 7,526 dropped SYNs in a minute, and writes, reads and the projector's puts waited
# seconds. Every client is local and bounded by the function environments, so neither limit is needed.
LISTEN_BACKLOG = socket.SOMAXCONN
KEEP_ALIVE_LIMIT = None  # cheroot: None keeps every idle connection open (until its 10 s idle timeout)

WSGIApp = Callable[..., Any]


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)  # cheroot's start() stops cleanly on it


def make_server(app: WSGIApp, host: str, port: int) -> wsgi.Server:
    """cheroot's server for `app`, with limits sized for the stack's many kept-alive clients."""
    server = wsgi.Server(
        (host, port), app, numthreads=THREADS, server_name="controlplane", request_queue_size=LISTEN_BACKLOG
    )
    server.keep_alive_conn_limit = KEEP_ALIVE_LIMIT  # type: ignore[assignment]  # its stub says int; its docs, None
    return server


def serve(app: WSGIApp, host: str, port: int) -> None:
    """Serve `app` until SIGINT or SIGTERM (wrap `app` in middleware before passing it here)."""
    server = make_server(app, host, port)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.start()
    except KeyboardInterrupt:
        server.stop()
