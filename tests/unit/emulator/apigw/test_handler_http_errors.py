"""Malformed HTTP through the real listener: API Gateway's status and {"message"} body, never aiohttp's text."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from aiohttp.http_exceptions import BadHttpMessage

from emulator.apigw.api_registry import ApiRegistry
from emulator.apigw.http_errors import MAX_REQUEST_LINE_AND_HEADERS_BYTES, error_for
from emulator.config import Settings
from emulator.gateway import create_gateway_app, serve
from tests.unit.emulator.apigw.fakes import FakeInvoker, FakeSink, api, route, run, snapshot

QUOTA = MAX_REQUEST_LINE_AND_HEADERS_BYTES
TOO_LARGE = (413, {"message": "Request Entity Too Large"})
BAD = (400, {"message": "Bad Request"})
GET_X = b"GET /x HTTP/1.1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(line: bytes, headers: list[bytes] | None = None) -> bytes:
    lines = [line, b"Host: x", b"Connection: close", *(headers or [])]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


async def _exchange(raw_requests: list[bytes]) -> list[tuple[int, dict[str, str], bytes]]:
    registry = ApiRegistry(
        Settings(refresh_seconds=3600), loader=lambda: snapshot(api(route("ANY /{proxy+}")))
    )
    app = create_gateway_app(Settings(), FakeInvoker(), FakeSink(), registry=registry)
    port = _free_port()
    answers = []
    async with serve(app, "127.0.0.1", port):
        for raw in raw_requests:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(raw)
            await writer.drain()
            answers.append(_parse(await asyncio.wait_for(reader.read(), 10)))
            writer.close()
    return answers


def _headers_totalling(total: int) -> list[bytes]:
    """Headers that bring the request line ("GET /x HTTP/1.1", 15 bytes) plus Host and Connection to `total`."""
    used = 15 + len("Host") + 1 + len("Connection") + len("close")
    return [b"X-Pad: " + b"a" * (total - used - len("X-Pad"))]


CASES = [
    # (what, raw request, (status, body))
    ("request line over the quota", _request(b"GET /" + b"a" * QUOTA + b" HTTP/1.1"), TOO_LARGE),
    ("one header over the quota", _request(GET_X, [b"X-Big: " + b"a" * QUOTA]), TOO_LARGE),
    ("headers adding up to one byte over", _request(GET_X, _headers_totalling(QUOTA + 1)), TOO_LARGE),
    ("more headers than quota bytes", _request(GET_X, [b"a:" for _ in range(QUOTA + 1)]), TOO_LARGE),
    ("unknown method", _request(b"FOO /x HTTP/1.1"), BAD),
    ("raw newline in the request line", _request(b"GET /a\nb HTTP/1.1"), BAD),
    ("no Host header", GET_X + b"\r\nConnection: close\r\n\r\n", BAD),
    ("unsupported HTTP version", _request(b"GET /x HTTP/9.9"), BAD),
    ("TLS on the plain port", b"\x16\x03\x01\x00\x05hello\r\n\r\n", BAD),
]


@pytest.mark.parametrize(("what", "raw", "expected"), CASES, ids=[c[0] for c in CASES])
def test_malformed_http_gets_api_gateway_json(what: str, raw: bytes, expected: tuple[int, object]) -> None:
    ((status, headers, body),) = run(_exchange([raw]))
    assert (status, json.loads(body)) == expected, body[:200]
    assert headers["content-type"] == "application/json"
    assert headers["apigw-requestid"]
    assert "server" not in headers


@pytest.mark.parametrize(
    ("what", "raw"),
    [
        ("headers adding up to exactly the quota", _request(GET_X, _headers_totalling(QUOTA))),
        ("%0A in the path (decodes to a newline)", _request(b"GET /a%0Ab HTTP/1.1")),
    ],
)
def test_requests_within_the_quota_reach_the_function(what: str, raw: bytes) -> None:
    ((status, _headers, body),) = run(_exchange([raw]))
    assert status == 200, body[:200]
    assert "echo" in json.loads(body)


def test_aiohttp_still_names_too_many_headers_as_the_mapping_expects() -> None:
    # error_for recognises the count limit by aiohttp's message: this fails first if aiohttp rewords it.
    assert error_for(400, BadHttpMessage("Too many headers received")).status == 413
    assert error_for(400, BadHttpMessage("Invalid header token")).status == 400
    assert error_for(500, RuntimeError("boom")).status == 500
