"""The three background services of the embedded stack, in start order."""

from __future__ import annotations

import os
import sys

from devstack.config import REPO_ROOT, StackConfig
from devstack.processes import Service


def _base_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "services")])
    env.setdefault("AWS_ACCESS_KEY_ID", "test")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def service_definitions(config: StackConfig) -> list[Service]:
    py = sys.executable
    env = _base_env()
    env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = config.region
    # The stack's clients talk to our moto, never to AWS (even with ambient credentials).
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    env["AWS_ACCESS_KEY_ID"] = env["AWS_SECRET_ACCESS_KEY"] = "test"
    env["IAM_MODE"] = config.iam_mode  # read by the control plane's IAM gate and by the emulator
    emulator_env = {
        **env,
        "EMULATOR_CONTROL_PLANE_URL": config.endpoint_url,
        "EMULATOR_HOST": config.host,
        "EMULATOR_PORT": str(config.emulator_port),
        "EMULATOR_LAMBDA_PORT": str(config.emulator_lambda_port),
        "EMULATOR_EXECUTOR": "subprocess",
        "EMULATOR_CODE_MAP": f"*={REPO_ROOT / 'services'}",
    }
    return [
        Service(
            name="moto",
            argv=[py, "-m", "controlplane", "--host", config.host, "--port", str(config.moto_port)],
            health_url=f"{config.endpoint_url}/moto-api/",
            env=env,
            cwd=REPO_ROOT,
        ),
        Service(
            name="mock_idp",
            argv=[
                py,
                "-m",
                "mock_idp",
                "serve",
                "--host",
                config.host,
                "--port",
                str(config.idp_port),
                "--issuer",
                config.issuer_url,
            ],
            health_url=f"{config.issuer_url}/.well-known/openid-configuration",
            env={
                **env,
                "MOCK_IDP_AUDIENCE": config.audience,
                "MOCK_IDP_KEY_DIR": str(config.state_dir / "idp-keys"),
            },
            cwd=REPO_ROOT,
        ),
        Service(
            name="emulator",
            argv=[py, "-m", "emulator", "serve"],
            health_url=f"{config.lambda_url}/_emulator/health",
            env=emulator_env,
            cwd=REPO_ROOT,
        ),
    ]


def marker(service: Service) -> str:
    """A string from the command line that identifies the service's process (PID reuse guard)."""
    return service.argv[2]
