"""Background processes with PID files: start, health-wait, and stop exactly what was started."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import requests


class StartError(RuntimeError):
    """A service did not become healthy; the message points at its log."""


@dataclass(frozen=True)
class Service:
    """One background service of the stack."""

    name: str
    argv: list[str]
    health_url: str
    env: Mapping[str, str]
    cwd: Path


def _pid_alive(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our own child, now reaped
    except ChildProcessError:
        pass  # not our child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def read_pid(pid_file: Path, service_marker: str) -> int | None:
    """The PID in pid_file if that process is alive and is still the service we started."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not _pid_alive(pid):
        return None
    cmdline = _cmdline(pid)
    if cmdline and service_marker not in cmdline:
        return None  # the PID was reused by an unrelated process
    return pid


def healthy(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def start(service: Service, pid_dir: Path, log_dir: Path, timeout: float = 30) -> int:
    """Start service in its own session, record its PID, and wait until health_url answers."""
    pid_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{service.name}.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            service.argv,
            cwd=service.cwd,
            env=dict(service.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (pid_dir / f"{service.name}.pid").write_text(str(proc.pid))
    # Stop waiting as soon as it is healthy, or has exited.
    wait_until(lambda: proc.poll() is not None or healthy(service.health_url), timeout)
    if proc.poll() is not None or not healthy(service.health_url):
        code = proc.poll()
        stop_pid(proc.pid)
        tail = log_path.read_text(errors="replace")[-2000:]
        state = f"exited with {code}" if code is not None else f"not healthy after {timeout:.0f}s"
        raise StartError(f"{service.name} {state}; log {log_path}:\n{tail}")
    return proc.pid


def stop_pid(pid: int, timeout: float = 10) -> None:
    """SIGTERM the process group led by pid, then SIGKILL what is left after timeout."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        if wait_until(lambda: not _pid_alive(pid), timeout if sig == signal.SIGTERM else 5):
            return
