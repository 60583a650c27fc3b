"""Port checks: is a port free, is it answering, and a free port when asked for one."""

from __future__ import annotations

import socket


class PortInUseError(RuntimeError):
    """A port the stack needs is taken by a process the stack did not start."""


def is_listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


_PORT_VARIABLES = {
    "moto": "MOTO_PORT",
    "emulator": "EMULATOR_PORT",
    "emulator-lambda": "EMULATOR_LAMBDA_PORT",
    "mock_idp": "MOCK_IDP_PORT",
}


def ensure_free(host: str, port: int, name: str) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise PortInUseError(
                f"port {port} ({name}) on {host} is already in use by another process; "
                f"stop it, or choose another port with {_PORT_VARIABLES.get(name, 'its variable')}=<port> "
                "(README: The local stack)"
            ) from None


def free_ports(host: str, count: int) -> list[int]:
    """`count` distinct ports that were free a moment ago (bound together so they differ)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind((host, 0))
            socks.append(sock)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()
