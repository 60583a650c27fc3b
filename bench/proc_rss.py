"""Resident memory of the stack's processes, from their PID files and /proc/<pid>/status."""

from __future__ import annotations

from pathlib import Path

# Not part of the control plane: the data plane, and the token issuer (small and steady).
NOT_CONTROL_PLANE = frozenset({"emulator", "mock_idp"})


def vm_rss_mb(status_text: str) -> float | None:
    """VmRSS of a /proc/<pid>/status text in MB (the kernel writes kB); None if absent (a zombie)."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def read_pids(pid_dir: Path) -> dict[str, int]:
    """{service name: pid} for every <name>.pid local-up wrote (a separate store process included)."""
    pids = {}
    for pid_file in sorted(pid_dir.glob("*.pid")):
        try:
            pids[pid_file.stem] = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
    return pids


def rss_mb(pid: int) -> float | None:
    try:
        return vm_rss_mb(Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return None  # the process is gone


def control_plane(names: list[str]) -> list[str]:
    return [name for name in names if name not in NOT_CONTROL_PLANE]
