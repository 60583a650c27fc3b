"""Conformance fixtures: moto, a mock_idp, the standalone terraform/ applied to moto, and `python -m emulator serve`.

Everything runs on free ports (never 4566-4569) with its own terraform state under pytest's tmp dir, so a
running local stack is never touched. The emulator runs the handlers in tests/functions through its
subprocess executor (EMULATOR_CODE_MAP="conformance-*=tests/functions").
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from devstack.terraform import Terraform, local_endpoint_env
from mock_idp.bad_tokens import BadTokens
from tests.support.processes import free_port, free_ports, moto_server, running

TERRAFORM_DIR = Path(__file__).parent / "terraform"
WRITER = ("local-writer", "local-writer-secret")
READER = ("local-reader", "local-reader-secret")


@dataclass
class IdpProcess:
    """A mock_idp process that tests may stop and start again (same port, same persisted keys)."""

    port: int
    key_dir: Path
    log_dir: Path
    _stack: ExitStack = field(default_factory=ExitStack)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = ["-m", "mock_idp", "serve", "--port", str(self.port), "--key-dir", str(self.key_dir)]
        self._stack.enter_context(
            running(
                args,
                health_url=f"{self.issuer}/.well-known/openid-configuration",
                log_path=self.log_dir / "mock_idp.log",
            )
        )

    def stop(self) -> None:
        self._stack.close()
        self._stack = ExitStack()

    def token(self, scope: str | None = None, client: tuple[str, str] = WRITER) -> str:
        data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
        response = requests.post(f"{self.issuer}/oauth2/token", data=data, auth=client, timeout=10)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def rotate(self, overlap_seconds: float = 3600, *, keep_kid: bool = False) -> str:
        body = {"keep_kid": True} if keep_kid else {"overlap_seconds": overlap_seconds}
        response = requests.post(f"{self.issuer}/admin/rotate-keys", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return str(response.json()["kid"])

    def bad_tokens(self) -> BadTokens:
        return BadTokens.from_key_dir(self.key_dir, issuer=self.issuer)


@dataclass
class Emulator:
    """The running emulator and what terraform created for it."""

    port: int
    lambda_port: int
    outputs: dict[str, Any]
    control_plane: str
    http: requests.Session
    log_path: Path

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the emulator's own log, for assertion messages."""
        return self.log_path.read_text(errors="replace")[-chars:]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 40)
        return self.http.request(method, self.base_url + path, **kwargs)

    def aws(self, service: str) -> Any:
        return boto3.session.Session().client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.control_plane,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


def _plugin_dir() -> str | None:
    configured = os.environ.get("TF_PLUGIN_DIR")
    if configured:
        return configured
    return "/opt/tf-plugins" if Path("/opt/tf-plugins").is_dir() else None


@pytest.fixture(scope="session")
def conformance_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A control plane of the suite's own: our emulator polls every stream mapping it finds there, so a
    moto shared with other suites' emulators could see records delivered twice."""
    with moto_server(tmp_path_factory.mktemp("conformance-moto")) as url:
        yield url


@pytest.fixture(scope="session")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpProcess]:
    base = tmp_path_factory.mktemp("conformance-idp")
    process = IdpProcess(port=free_port(), key_dir=base / "keys", log_dir=base)
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def applied(
    conformance_moto: str, idp: IdpProcess, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """terraform apply of tests/integration/emulator/terraform against moto; returns its outputs."""
    work = tmp_path_factory.mktemp("conformance-tf")
    var_file = work / "conformance.tfvars.json"
    var_file.write_text(json.dumps({"jwt_issuer": idp.issuer}))
    terraform = Terraform(
        config_dir=TERRAFORM_DIR,
        state_path=work / "terraform.tfstate",
        data_dir=work / "tf-data",
        env=local_endpoint_env(conformance_moto),
        plugin_dir=_plugin_dir(),
    )
    terraform.init()
    terraform.apply(var_file)
    return terraform.outputs()


@pytest.fixture(scope="session")
def emulator(
    conformance_moto: str, applied: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Emulator]:
    port, lambda_port = free_ports(2)
    env = {
        "EMULATOR_CONTROL_PLANE_URL": conformance_moto,
        "AWS_ENDPOINT_URL": conformance_moto,
        "EMULATOR_PORT": str(port),
        "EMULATOR_LAMBDA_PORT": str(lambda_port),
        "EMULATOR_CODE_MAP": "conformance-*=tests/functions",
        "EMULATOR_REFRESH_SECONDS": "1",
    }
    log_path = tmp_path_factory.mktemp("conformance-emulator") / "emulator.log"
    with running(
        ["-m", "emulator", "serve"],
        health_url=f"http://127.0.0.1:{lambda_port}/_emulator/health",
        log_path=log_path,
        env=env,
        timeout=60,
    ):
        session = requests.Session()
        # Several APIs may live in the shared moto: the Host header picks ours, as on AWS.
        session.headers["Host"] = f"{applied['api_id']}.execute-api.localhost:{port}"
        yield Emulator(port, lambda_port, applied, conformance_moto, session, log_path)
        session.close()
