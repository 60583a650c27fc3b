"""An in-process issuer on a free port (real HTTP, injected clock) for the mock_idp unit tests."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from mock_idp.config import Settings
from mock_idp.keys import KeySet
from mock_idp.server import create_app
from tests.support.processes import free_port


class FakeClock:
    """A clock the test moves by hand, so key overlap and token times need no sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Issuer:
    """A running issuer: where it listens, its settings, keys and clock."""

    listen_url: str
    settings: Settings
    keys: KeySet
    clock: FakeClock

    @property
    def issuer(self) -> str:
        return self.settings.resolved_issuer

    def url(self, path: str) -> str:
        """`path` under the issuer's own path prefix, on the address the server listens on."""
        return self.listen_url + urlsplit(self.issuer).path.rstrip("/") + path


@contextmanager
def running_issuer(settings: Settings, key_dir: Path | None = None) -> Iterator[Issuer]:
    clock = FakeClock()
    keys = KeySet.open(key_dir, overlap_seconds=settings.key_overlap_seconds, clock=clock)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_app(settings, keys, clock=clock))
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", settings.port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield Issuer(f"http://127.0.0.1:{settings.port}", settings, keys, clock)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.run_until_complete(runner.cleanup())
        loop.close()


@pytest.fixture
def start_issuer(tmp_path: Path) -> Iterator[Callable[..., Issuer]]:
    """Start issuers with setting overrides (port is always a fresh free one); all stop after the test."""
    with ExitStack() as stack:

        def start(**overrides: Any) -> Issuer:
            settings = replace(Settings(), **{"port": free_port(), "key_dir": tmp_path / "keys", **overrides})
            return stack.enter_context(running_issuer(settings, settings.key_dir))

        yield start


@pytest.fixture
def idp(start_issuer: Callable[..., Issuer]) -> Issuer:
    """An issuer with the default settings (clients, audience) on a free port."""
    return start_issuer()
