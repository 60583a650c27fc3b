"""make local-down: stop exactly the processes local-up started, by PID, and check nothing listens."""

from __future__ import annotations

import sys

from devstack import ports, processes
from devstack.config import StackConfig
from devstack.services import marker, service_definitions
from devstack.steps import step


def down(config: StackConfig | None = None) -> int:
    config = config or StackConfig.from_env()
    if config.mode == "docker":
        from devstack.docker_mode import DockerModeError, stop_compose

        try:
            stop_compose(config)
        except DockerModeError as exc:
            sys.stderr.write(f"local-down failed: {exc}\n")
            return 1
    for service in reversed(service_definitions(config) if config.mode != "docker" else []):
        pid_file = config.pid_dir / f"{service.name}.pid"
        with step(f"stop {service.name}", prefix="local-down") as current:
            pid = processes.read_pid(pid_file, marker(service))
            if pid is None:
                current.note = "not running"
            else:
                processes.stop_pid(pid)
                current.note = f"stopped (pid {pid})"
            pid_file.unlink(missing_ok=True)
    # The control plane kept everything in memory: its state file now describes nothing.
    (config.terraform_dir / "terraform.tfstate").unlink(missing_ok=True)
    still = [f"{name}:{port}" for name, port in config.ports.items() if ports.is_listening(config.host, port)]
    if still:
        sys.stderr.write(f"local-down: still listening: {', '.join(still)} (not started by local-up?)\n")
        return 1
    return 0
