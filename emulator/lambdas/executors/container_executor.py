"""Runs the function's own image with `docker run`, its runtime pointed back at the emulator's Runtime API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from pathlib import Path

from emulator.config import Settings
from emulator.lambdas.executors.base import OutputHandler
from emulator.lambdas.executors.subprocess_executor import SubprocessExecutor
from emulator.lambdas.function_registry import FunctionConfig
from emulator.lambdas.reserved_env import build_environment
from emulator.lambdas.runtime_api import RuntimeApi

log = logging.getLogger(__name__)

# The image brings its own interpreter, paths and AWS_EXECUTION_ENV; ours would break it.
_IMAGE_OWNED = ("PATH", "PYTHONPATH", "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT")


class ContainerExecutor(SubprocessExecutor):
    """One container per environment (`docker run --rm`); stop removes it. Not yet covered by tests."""

    # Containers reach the Runtime API from outside the host's loopback.
    runtime_api_bind_host = "0.0.0.0"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, base_dir=Path.cwd())
        self._container = ""

    async def start(
        self, config: FunctionConfig, api: RuntimeApi, log_stream: str, on_output: OutputHandler
    ) -> None:
        docker = shutil.which("docker")
        if docker is None:
            raise RuntimeError("the container executor needs the docker CLI on PATH")
        env = build_environment(
            config,
            self._settings,
            runtime_api=f"{self._settings.runtime_api_host}:{api.port}",
            log_stream=log_stream,
            task_root="/var/task",
        )
        for name in _IMAGE_OWNED:
            env.pop(name, None)
        self._container = f"emulator-{log_stream.rsplit(']', 1)[-1]}"
        args = [docker, "run", "--rm", "-i", "--name", self._container, "--memory", f"{config.memory_size}m"]
        if self._settings.docker_network:
            args += ["--network", self._settings.docker_network]
        else:
            args += ["--add-host", "host.docker.internal:host-gateway"]
        for key, value in env.items():
            args += ["-e", f"{key}={value}"]
        args += [config.image_uri, config.handler]
        self._proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self._pump = asyncio.create_task(self._pump_output(on_output))

    async def stop(self) -> None:
        if self._container:
            docker = shutil.which("docker") or "docker"
            with contextlib.suppress(Exception):
                remover = await asyncio.create_subprocess_exec(
                    docker,
                    "rm",
                    "-f",
                    self._container,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                await asyncio.wait_for(remover.wait(), 10)
        await super().stop()

    def max_memory_mb(self) -> int | None:
        return None  # the docker client's memory is not the function's
