"""Start and stop the harness's server processes on free ports for tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack import ports
from tests.support.waits import wait_for_http

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports on 127.0.0.1, bound together (devstack's allocator)."""
    return ports.free_ports("127.0.0.1", count)


def free_port() -> int:
    return free_ports(1)[0]


@contextmanager
def running(
    args: list[str],
    *,
    health_url: str,
    log_path: Path,
    env: dict[str, str] | None = None,
    timeout: float = 20,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `python <args>` in its own process group until the block ends; wait for health_url first."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{REPO_ROOT / 'services'}", **(env or {})}
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=REPO_ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            wait_for_http(health_url, timeout=timeout)
        except AssertionError:
            raise AssertionError(
                f"{args} did not become healthy; log:\n{log_path.read_text()[-4000:]}"
            ) from None
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass


@contextmanager
def moto_server(log_dir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """A patched moto server (python -m controlplane) on a free port; yields its endpoint URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(
        ["-m", "controlplane", "--host", "127.0.0.1", "--port", str(port)],
        health_url=f"{url}/moto-api/",
        log_path=log_dir / f"moto-{port}.log",
        env=env,
    ):
        yield url
