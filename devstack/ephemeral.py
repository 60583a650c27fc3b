"""A throwaway stack on free ports with its own state dir: embedded processes, or docker-compose.yml via testcontainers."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from devstack import ports, stack_env
from devstack.config import StackConfig
from devstack.down import down
from devstack.up import up


class StackStartError(RuntimeError):
    """The ephemeral stack did not come up (it was torn down again); the message says why."""


def ephemeral_config(state_dir: Path, mode: str = "embedded") -> StackConfig:
    """The ambient settings, on four ports free together, in state_dir, trusting its own mock_idp."""
    base = StackConfig.from_env()
    free = ports.free_ports(base.host, 4)
    return replace(base.with_ports(*free), state_dir=state_dir, jwt_issuer="mock", mode=mode)


def leftovers(config: StackConfig) -> list[str]:
    """Ports still listening, and processes still running, that mention this stack's ports or state dir."""
    found = [
        f"{name}:{port} listening"
        for name, port in config.ports.items()
        if ports.is_listening(config.host, port)
    ]
    needles = [str(config.state_dir).encode()] + [
        f"{config.host}:{port}".encode() for port in config.ports.values()
    ]
    needles += [f"--port\0{port}\0".encode() for port in config.ports.values()]
    for proc in Path("/proc").glob("[0-9]*"):
        if int(proc.name) == os.getpid():
            continue
        try:
            # Runtimes and services carry the stack's URLs in their environment or on their command line.
            seen = (proc / "cmdline").read_bytes() + b"\0" + (proc / "environ").read_bytes()
        except OSError:
            continue
        if any(needle in seen for needle in needles):
            command = seen.split(b"\0\0")[0].replace(b"\0", b" ").decode(errors="replace")
            found.append(f"pid {proc.name} ({command[:80].strip()})")
    return found


@dataclass
class EphemeralStack:
    """A stack this process started; stop() tears it down and returns what is left, if anything."""

    config: StackConfig
    values: dict[str, str]
    compose: Any = field(default=None, repr=False)

    def stop(self) -> str | None:
        problems: list[str] = []
        if self.compose is not None:
            from devstack import docker_compose_stack

            problems += docker_compose_stack.stop(self.compose)
        elif down(self.config) != 0:
            problems.append("local-down failed")
        problems += leftovers(self.config)
        return "; ".join(problems) or None


def start_ephemeral(state_dir: Path, mode: str = "embedded") -> EphemeralStack:
    config = ephemeral_config(state_dir, mode)
    if mode == "docker":
        from devstack import docker_compose_stack

        compose = docker_compose_stack.start(config)
        return EphemeralStack(config, stack_env.read(config.stack_env_path), compose)
    try:
        code = up(config)
    except BaseException:  # Ctrl-C while starting: leave nothing behind either
        down(config)
        raise
    if code != 0:
        down(config)
        raise StackStartError(f"local-up on ports {config.ports} failed (its output follows)")
    return EphemeralStack(config, stack_env.read(config.stack_env_path))
