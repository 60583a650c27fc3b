"""The docker stack of an ephemeral session: docker-compose.yml through testcontainers, then the local apply."""

from __future__ import annotations

import os
import subprocess
from typing import Any

from devstack import issuer, stack_env
from devstack.config import REPO_ROOT, StackConfig
from devstack.docker_mode import COMPOSE_PROJECT, FUNCTION_LABEL, DockerModeError, _docker, _make
from devstack.steps import step

DOCKER_SOCKET = "/var/run/docker.sock"


class ComposeStartError(RuntimeError):
    """Docker is missing or the compose stack did not come up (it was removed again)."""


def compose_env(config: StackConfig, socket: str = DOCKER_SOCKET) -> dict[str, str]:
    """What docker-compose.yml interpolates (the Makefile's COMPOSE_ENV), for an --env-file."""
    return {
        "COMPOSE_PROJECT_NAME": COMPOSE_PROJECT,
        "BOOKS_IMAGE_TAG": (REPO_ROOT / "version.txt").read_text().strip(),
        "DOCKER_SOCKET": socket,
        "DOCKER_GID": str(os.stat(socket).st_gid) if os.path.exists(socket) else "0",
        "MOTO_PORT": str(config.moto_port),
        "EMULATOR_PORT": str(config.emulator_port),
        "EMULATOR_LAMBDA_PORT": str(config.emulator_lambda_port),
        "MOCK_IDP_PORT": str(config.idp_port),
    }


def _compose(config: StackConfig) -> Any:
    from testcontainers.compose import DockerCompose

    env_file = config.state_dir / "compose.env"
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_text("".join(f"{key}={value}\n" for key, value in compose_env(config).items()))
    return DockerCompose(
        context=REPO_ROOT, compose_file_name="docker-compose.yml", env_file=str(env_file), wait=True
    )


def start(config: StackConfig) -> Any:
    """Build the images, `compose up --wait`, apply terraform/; returns the DockerCompose to stop()."""
    from devstack.up import apply_terraform, wait_until_served

    try:
        _docker("info", "--format", "{{.ServerVersion}}")
    except (DockerModeError, FileNotFoundError):
        raise ComposeStartError(
            "--stack=docker needs a running Docker engine (`docker info` failed)"
        ) from None
    try:
        _docker("compose", "version")
    except DockerModeError:
        raise ComposeStartError(
            "--stack=docker drives `docker compose` (v2) through testcontainers; docker-compose v1 is not enough"
            " (use `make local-up MODE=docker` and run the suite against it)"
        ) from None
    compose = _compose(config)
    try:
        with step("docker-build"):
            _make("docker-build", config)
    except DockerModeError as exc:
        raise ComposeStartError(str(exc).splitlines()[0]) from None
    try:
        with step("compose up (testcontainers)"):
            compose.start()
        jwt_issuer = issuer.in_force(config)
        outputs = apply_terraform(config, jwt_issuer)
        wait_until_served(config, str(outputs["api_id"]))
    except (DockerModeError, subprocess.CalledProcessError, RuntimeError, OSError, KeyError) as exc:
        stop(compose)
        raise ComposeStartError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    except BaseException:  # Ctrl-C while starting: remove the containers all the same
        stop(compose)
        raise
    stack_env.write(config.stack_env_path, stack_env.stack_values(config, outputs, jwt_issuer))
    return compose


def stop(compose: Any) -> list[str]:
    """compose down, then the function containers the emulator started; what could not be removed."""
    problems = []
    try:
        compose.stop(down=True)
    except subprocess.CalledProcessError as exc:
        problems.append(f"compose down failed ({exc.returncode})")
    try:
        leftovers = _docker("ps", "-aq", "--filter", f"label={FUNCTION_LABEL}").split()
        if leftovers:
            _docker("rm", "-f", *leftovers)
    except (DockerModeError, FileNotFoundError) as exc:
        problems.append(str(exc))
    return problems
