"""RuntimeExecutor implementations: a local subprocess (default) or a Docker container."""

from __future__ import annotations

from pathlib import Path

from emulator.config import Settings
from emulator.lambdas.executors.base import ExecutorFactory, RuntimeExecutor


def executor_factory(settings: Settings, base_dir: Path) -> ExecutorFactory:
    """The factory for settings.executor ("subprocess" or "container")."""
    if settings.executor == "subprocess":
        from emulator.lambdas.executors.subprocess_executor import SubprocessExecutor

        return lambda: SubprocessExecutor(settings, base_dir)
    if settings.executor == "container":
        from emulator.lambdas.executors.container_executor import ContainerExecutor

        return lambda: ContainerExecutor(settings)
    raise ValueError(f"unknown executor {settings.executor!r} (expected 'subprocess' or 'container')")


__all__ = ["ExecutorFactory", "RuntimeExecutor", "executor_factory"]
