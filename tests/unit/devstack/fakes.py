"""A fake local stack for devstack's unit tests: one HTTP server on a free port."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeStack:
    """One HTTP server that plays emulator health, moto's dashboard, mock_idp's token endpoint and the API."""

    def __init__(self, api_ids: tuple[str, ...] = ("abc",)) -> None:
        self.requests: list[dict[str, Any]] = []
        self.post_answers: dict[str, dict[str, Any]] = {}  # path -> body; else a token answer
        stack = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                stack.requests.append({"method": "GET", "path": self.path})
                if self.path == "/_emulator/health":
                    self._answer({"status": "ok", "apis": {api: ["$default"] for api in api_ids}})
                else:
                    self._answer({"path": self.path})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                stack.requests.append(
                    {
                        "method": "POST",
                        "path": self.path,
                        "body": body,
                        "auth": self.headers.get("Authorization"),
                    }
                )
                self._answer(
                    stack.post_answers.get(
                        self.path.split("?")[0], {"access_token": "fake-token", "token_type": "Bearer"}
                    )
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def values(self, **overrides: str) -> dict[str, str]:
        return {
            "API_URL": self.url,
            "API_ID": "abc",
            "ISSUER_URL": self.url,
            "TOKEN_URL": f"{self.url}/oauth2/token",
            "JWT_ISSUER": self.url,
            "AWS_ENDPOINT_URL": self.url,
            "AWS_REGION": "us-east-1",
            "EMULATOR_LAMBDA_URL": self.url,
            **overrides,
        }
