"""Bounded waits: poll a condition until it holds or a timeout expires."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import requests

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """The awaited condition did not hold in time."""


def wait_for(
    probe: Callable[[], T | None], *, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"
) -> T:
    """Call probe until it returns a truthy value; raise WaitTimeout after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = probe()
            if value:
                return value
        except Exception as exc:
            last_error = exc
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout}s waiting for {what}; last error: {last_error!r}")
        time.sleep(interval)


def wait_for_http(url: str, *, timeout: float = 15.0, status: int | None = None) -> requests.Response:
    """Wait until GET url answers (with `status`, when given)."""

    def probe() -> requests.Response | None:
        response = requests.get(url, timeout=2)
        if status is None or response.status_code == status:
            return response
        return None

    return wait_for(probe, timeout=timeout, what=f"GET {url}")
