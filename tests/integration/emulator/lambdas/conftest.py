"""A `python -m emulator serve` process against the session's moto server, plus boto3 helpers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.support.processes import free_ports, running

FUNCTIONS_DIR = "tests/integration/emulator/lambdas/functions"
ACCOUNT = "123456789012"


@dataclass
class EmulatorProcess:
    lambda_url: str
    control_plane: str


def aws(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )


@pytest.fixture(scope="module")
def emulator(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    port, lambda_port = free_ports(2)
    env = {
        "EMULATOR_CONTROL_PLANE_URL": moto_endpoint,
        "EMULATOR_CODE_MAP": f"itest-*={FUNCTIONS_DIR}",
        "EMULATOR_REFRESH_SECONDS": "0.5",
        "ITEST_EMULATOR_ONLY_CANARY": "must-not-reach-functions",
    }
    log_path = Path(tmp_path_factory.mktemp("emulator-logs")) / "emulator.log"
    with running(
        ["-m", "emulator", "serve", "--port", str(port), "--lambda-port", str(lambda_port)],
        health_url=f"http://127.0.0.1:{lambda_port}/_emulator/health",
        log_path=log_path,
        env=env,
    ):
        yield EmulatorProcess(f"http://127.0.0.1:{lambda_port}", moto_endpoint)


@pytest.fixture(scope="module")
def role_arn(moto_endpoint: str) -> str:
    iam = aws(moto_endpoint, "iam")
    name = f"itest-role-{uuid.uuid4().hex[:8]}"
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"])


@pytest.fixture
def make_function(moto_endpoint: str, role_arn: str) -> Callable[..., str]:
    """Create an image function whose code is tests/.../functions; returns its name."""

    def create(handler: str, timeout: int = 5, env: dict[str, str] | None = None) -> str:
        name = f"itest-{handler.split('.')[-1]}-{uuid.uuid4().hex[:8]}"
        aws(moto_endpoint, "lambda").create_function(
            FunctionName=name,
            Role=role_arn,
            PackageType="Image",
            Code={"ImageUri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/itest-fn@sha256:{'0' * 64}"},
            ImageConfig={"Command": [handler]},
            Environment={"Variables": env or {"ITEST": "1"}},
            Timeout=timeout,
            MemorySize=256,
        )
        # As Terraform does: the emulator ships logs into existing groups only.
        aws(moto_endpoint, "logs").create_log_group(logGroupName=f"/aws/lambda/{name}")
        return name

    return create
