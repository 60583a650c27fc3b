"""The control plane's server keeps connections alive and hands headers to moto as moto's own handler does."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from moto.core.request import PRESERVED_HEADER_NAMES_ENVIRON_KEY

from controlplane import server
from tests.support.processes import free_port


def echo_environ(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    seen = {k: v for k, v in environ.items() if k.startswith("HTTP_X")}
    seen["preserved"] = environ.get(PRESERVED_HEADER_NAMES_ENVIRON_KEY)
    body = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    chosen = free_port()
    httpd = server.make_server(echo_environ, "127.0.0.1", chosen)
    httpd.prepare()
    thread = threading.Thread(target=httpd.serve, daemon=True)
    thread.start()
    yield chosen
    httpd.stop()
    thread.join(timeout=10)


def get(conn: http.client.HTTPConnection, headers: list[tuple[str, str]]) -> dict[str, Any]:
    conn.putrequest("GET", "/")
    for name, value in headers:
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    assert response.version == 11
    result: dict[str, Any] = json.loads(response.read())
    return result


@pytest.mark.parametrize(
    ("headers", "expected", "preserved"),
    [
        ([("X-Plain", "1")], {"HTTP_X_PLAIN": "1"}, {}),
        ([("X_Spoof", "1")], {}, {}),  # an underscored header is dropped, as werkzeug does
        ([("X-Dup", "dashed"), ("X_Dup", "underscored")], {"HTTP_X_DUP": "dashed"}, {}),
        ([("X_Dup", "underscored"), ("X-Dup", "dashed")], {"HTTP_X_DUP": "dashed"}, {}),
        (
            [("x-amz-meta-my_key", "v")],
            {"HTTP_X_AMZ_META_MY_KEY": "v"},
            {"HTTP_X_AMZ_META_MY_KEY": "X-Amz-Meta-My_Key"},
        ),
    ],
)
def test_headers_reach_moto_as_its_own_handler_passes_them(
    port: int, headers: list[tuple[str, str]], expected: dict[str, str], preserved: dict[str, str]
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    seen = get(conn, headers)
    conn.close()
    assert {k: v for k, v in seen.items() if k != "preserved"} == expected
    assert seen["preserved"] == preserved


def test_one_connection_serves_many_requests(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    get(conn, [])
    first = conn.sock
    get(conn, [])
    assert conn.sock is first  # the server kept the connection open
    conn.close()
