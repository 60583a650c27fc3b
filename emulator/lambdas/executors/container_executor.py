"""Runs the function's own image with `docker run`, its runtime pointed back at the emulator's Runtime API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path

from emulator.config import Settings
from emulator.lambdas.code_map import resolve_code_dir
from emulator.lambdas.executors.base import OutputHandler
from emulator.lambdas.executors.subprocess_executor import SubprocessExecutor
from emulator.lambdas.function_registry import FunctionConfig
from emulator.lambdas.reserved_env import build_environment
from emulator.lambdas.runtime_api import RuntimeApi

log = logging.getLogger(__name__)

# The image brings its own interpreter, paths and AWS_EXECUTION_ENV; ours would break it.
_IMAGE_OWNED = ("PATH", "PYTHONPATH", "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT")
# Lambda runs every image as this user (sbx_user1051), whatever the image's USER says.
LAMBDA_USER = "993:990"
# Every function container carries this label, so a stack teardown can find leftovers after a hard kill.
CONTAINER_LABEL = "books-cqrs.emulator.function"


def code_mounts(code_dir: Path, task_root: str = "/var/task") -> list[str]:
    """`docker run -v` arguments that lay each Python package of a build context over the image's copy.

    Live reload in Docker mode (EMULATOR_MOUNT_CODE=1): the product Dockerfiles COPY each package of the
    context (services/books) into the task root, so mounting those same directories read-only serves the
    files on disk, while the image keeps its interpreter and the dependencies it installed there.
    """
    packages = sorted(path for path in code_dir.iterdir() if (path / "__init__.py").is_file())
    return [arg for pkg in packages for arg in ("-v", f"{pkg}:{task_root}/{pkg.name}:ro")]


async def _docker(*args: str) -> int:
    proc = await asyncio.create_subprocess_exec(
        shutil.which("docker") or "docker",
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(proc.wait(), 30)


async def resolve_image(image_uri: str) -> str:
    """The local image to run for an ImageUri.

    The ImageUri names a registry (ECR) image by digest. When it was pulled or pushed, Docker knows it by that
    name. A locally built image that was never pushed is known by its ID instead: the digest that
    `make docker-build` records for Terraform is that ID. Nothing is ever pulled: a missing image fails now.
    """
    if await _docker("image", "inspect", image_uri) == 0:
        return image_uri
    _, _, digest = image_uri.partition("@")
    if digest.startswith("sha256:") and await _docker("image", "inspect", digest) == 0:
        return digest
    raise RuntimeError(f"image {image_uri} is not in the local Docker engine (build it, or pull it first)")


class ContainerExecutor(SubprocessExecutor):
    """One container per environment (`docker run --rm`); stop removes it. Exercised by the Docker CI cycle."""

    # Containers reach the Runtime API from outside the host's loopback.
    runtime_api_bind_host = "0.0.0.0"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, base_dir=Path.cwd())
        self._container = ""

    async def start(
        self,
        config: FunctionConfig,
        api: RuntimeApi,
        log_stream: str,
        on_output: OutputHandler,
        credentials: Mapping[str, str] | None = None,
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
            credentials=credentials,
        )
        for name in _IMAGE_OWNED:
            env.pop(name, None)
        image = await resolve_image(config.image_uri)
        self._container = f"emulator-{log_stream.rsplit(']', 1)[-1]}"
        args = [docker, "run", "--rm", "-i", "--pull", "never", "--name", self._container]
        args += ["--label", f"{CONTAINER_LABEL}={config.name}", "--user", LAMBDA_USER]
        args += ["--memory", f"{config.memory_size}m"]
        if self._settings.docker_network:
            args += ["--network", self._settings.docker_network]
        else:
            args += ["--add-host", "host.docker.internal:host-gateway"]
        for key, value in env.items():
            args += ["-e", f"{key}={value}"]
        if self._settings.mount_code:
            args += code_mounts(
                resolve_code_dir(config.image_uri, self._settings.code_map_entries(), self._base_dir)
            )
        args += [image, config.handler]
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
