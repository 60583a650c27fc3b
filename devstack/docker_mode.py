"""make local-up/local-down MODE=docker: build the images, run docker-compose.yml, remove it all again."""

from __future__ import annotations

import os
import subprocess

from devstack import ports
from devstack.config import REPO_ROOT, StackConfig
from devstack.steps import step

COMPOSE_PROJECT = "books-cqrs"
FUNCTION_LABEL = "books-cqrs.emulator.function"  # set by the emulator's container executor


class DockerModeError(RuntimeError):
    """Docker is missing, or a build or compose step failed; the message says which."""


def _env(config: StackConfig) -> dict[str, str]:
    return {
        **os.environ,
        "MOTO_PORT": str(config.moto_port),
        "EMULATOR_PORT": str(config.emulator_port),
        "EMULATOR_LAMBDA_PORT": str(config.emulator_lambda_port),
        "MOCK_IDP_PORT": str(config.idp_port),
        "COMPOSE_PROJECT": COMPOSE_PROJECT,
        "BOOKS_CODE_DIR": str(REPO_ROOT / "services"),
    }


def _make(target: str, config: StackConfig) -> None:
    proc = subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=REPO_ROOT,
        env=_env(config),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise DockerModeError(f"make {target} failed:\n{(proc.stdout + proc.stderr)[-3000:]}")


def _docker(*args: str) -> str:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise DockerModeError(f"docker {args[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def _project_running() -> bool:
    return bool(
        _docker("ps", "-q", "--filter", f"label=com.docker.compose.project={COMPOSE_PROJECT}").strip()
    )


def start_compose(config: StackConfig) -> None:
    """Build every image, then start (or reuse) the compose stack and wait until it is healthy."""
    try:
        _docker("info", "--format", "{{.ServerVersion}}")
    except (DockerModeError, FileNotFoundError):
        raise DockerModeError(
            "MODE=docker needs a running Docker engine (`docker info` failed); or use the default MODE"
        ) from None
    with step("docker-build") as current:
        _make("docker-build", config)
        current.note = "images built, digests in build/image_digests.json"
    with step("compose up") as current:
        if _project_running():
            current.note = "already running (reconciled)"
        else:
            for name, port in config.ports.items():
                ports.ensure_free(config.host, port, name)
            # A fresh control plane knows nothing: the old state would describe resources that are gone.
            (config.terraform_dir / "terraform.tfstate").unlink(missing_ok=True)
        _make("docker-up", config)


def stop_compose(config: StackConfig) -> None:
    """Remove the compose stack and any function container the emulator left behind."""
    with step("compose down", prefix="local-down"):
        _make("docker-down", config)
        leftovers = _docker("ps", "-aq", "--filter", f"label={FUNCTION_LABEL}").split()
        if leftovers:
            _docker("rm", "-f", *leftovers)
