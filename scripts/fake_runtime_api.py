"""A one-shot Lambda Runtime API for smoke-testing function images: hands out one event, prints the outcome.

    python scripts/fake_runtime_api.py --port 9001 --event tests/events/x.json [--timeout 60]
    docker run --rm --network host -e AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001 books-cqrs/query:0.1.0

Exit status: 0 when the function posted a response, 1 when it posted an error (init or invocation), 2 when
nothing arrived within the timeout. The outcome is printed as one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_PREFIX = "/2018-06-01/runtime"
_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:smoke"


class _Exchange:
    """The single invocation: its event, and the outcome the runtime posts back."""

    def __init__(self, event: bytes) -> None:
        self.event = event
        self.request_id = str(uuid.uuid4())
        self.handed_out = threading.Event()
        self.done = threading.Event()
        self.outcome: dict[str, object] = {}

    def finish(self, kind: str, body: bytes) -> None:
        try:
            payload: object = json.loads(body) if body else None
        except ValueError:
            payload = body.decode("utf-8", "replace")
        self.outcome = {"outcome": kind, "request_id": self.request_id, "payload": payload}
        self.done.set()


def _handler(exchange: _Exchange) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body in separate segments would wait on delayed ACKs (about 40 ms each).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: object) -> None:  # quiet: the outcome line is the output
            return

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            # awslambdaric hangs on a `next` answer without Content-Type.
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != f"{_PREFIX}/invocation/next":
                self._send(404, b'{"errorType":"NotFound"}')
                return
            if exchange.handed_out.is_set():
                exchange.done.wait()  # one invocation only: park the runtime until we shut down
                self._send(410, b"{}")
                return
            exchange.handed_out.set()
            deadline = str(int((time.time() + 30) * 1000))
            self._send(
                200,
                exchange.event,
                {
                    "Lambda-Runtime-Aws-Request-Id": exchange.request_id,
                    "Lambda-Runtime-Deadline-Ms": deadline,
                    "Lambda-Runtime-Invoked-Function-Arn": _FUNCTION_ARN,
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                },
            )

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._send(202, b'{"status":"OK"}')
            if self.path == f"{_PREFIX}/init/error":
                exchange.finish("init_error", body)
            elif self.path == f"{_PREFIX}/invocation/{exchange.request_id}/response":
                exchange.finish("response", body)
            elif self.path == f"{_PREFIX}/invocation/{exchange.request_id}/error":
                exchange.finish("error", body)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--event", type=Path, help="JSON event file (default: {})")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the outcome")
    args = parser.parse_args(argv)
    exchange = _Exchange(args.event.read_bytes() if args.event else b"{}")
    server = ThreadingHTTPServer((args.host, args.port), _handler(exchange))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        finished = exchange.done.wait(args.timeout)
    finally:
        server.shutdown()
    if not finished:
        exchange.outcome = {"outcome": "timeout", "handed_out": exchange.handed_out.is_set()}
    sys.stdout.write(json.dumps(exchange.outcome) + "\n")
    return {"response": 0, "timeout": 2}.get(str(exchange.outcome["outcome"]), 1)


if __name__ == "__main__":
    sys.exit(main())
