"""The local stack's settings: every environment variable devstack reads, each with a local default."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("command", "query", "projector")


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


IAM_MODES = ("enforce", "log", "off")


def _iam_mode(value: str) -> str:
    mode = value.strip().lower()
    if mode not in IAM_MODES:
        raise SystemExit(f"IAM_MODE must be one of {', '.join(IAM_MODES)}, not {value!r}")
    return mode


@dataclass(frozen=True)
class StackConfig:
    """Ports, names and paths of one local stack."""

    host: str = "127.0.0.1"
    moto_port: int = 4566
    emulator_port: int = 4567
    emulator_lambda_port: int = 4568
    idp_port: int = 4569
    environment: str = "local"
    region: str = "us-east-1"
    audience: str = "books-api"
    # JWT_ISSUER: "" = keep the earlier choice, "mock" = mock_idp, else the issuer to trust (devstack/issuer.py).
    jwt_issuer: str = ""
    write_scope: str = "books:write"
    state_dir: Path = REPO_ROOT / ".local"
    mode: str = "embedded"
    # Bound of each local terraform command, in seconds (a fresh apply takes about a minute).
    terraform_timeout: float = 300.0
    # IAM_MODE: enforce (functions' calls are authorized against their execution role), log, or off.
    iam_mode: str = "enforce"

    @classmethod
    def from_env(cls) -> StackConfig:
        state_dir = Path(_env("LOCAL_STATE_DIR", str(cls.state_dir)))
        return cls(
            host=_env("LOCAL_HOST", cls.host),
            moto_port=int(_env("MOTO_PORT", str(cls.moto_port))),
            emulator_port=int(_env("EMULATOR_PORT", str(cls.emulator_port))),
            emulator_lambda_port=int(_env("EMULATOR_LAMBDA_PORT", str(cls.emulator_lambda_port))),
            idp_port=int(_env("MOCK_IDP_PORT", str(cls.idp_port))),
            environment=_env("ENVIRONMENT", cls.environment),
            region=_env("AWS_REGION", cls.region),
            audience=_env("JWT_AUDIENCE", cls.audience),
            jwt_issuer=_env("JWT_ISSUER", cls.jwt_issuer).strip(),
            write_scope=_env("WRITE_SCOPE", cls.write_scope),
            state_dir=state_dir if state_dir.is_absolute() else REPO_ROOT / state_dir,
            mode=_env("MODE", cls.mode),
            terraform_timeout=float(_env("TERRAFORM_TIMEOUT", str(cls.terraform_timeout))),
            iam_mode=_iam_mode(_env("IAM_MODE", cls.iam_mode)),
        )

    def with_ports(self, moto: int, emulator: int, emulator_lambda: int, idp: int) -> StackConfig:
        return replace(
            self, moto_port=moto, emulator_port=emulator, emulator_lambda_port=emulator_lambda, idp_port=idp
        )

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.moto_port}"

    @property
    def issuer_url(self) -> str:
        return f"http://{self.host}:{self.idp_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.emulator_port}"

    @property
    def lambda_url(self) -> str:
        return f"http://{self.host}:{self.emulator_lambda_port}"

    @property
    def ports(self) -> dict[str, int]:
        return {
            "moto": self.moto_port,
            "emulator": self.emulator_port,
            "emulator-lambda": self.emulator_lambda_port,
            "mock_idp": self.idp_port,
        }

    @property
    def pid_dir(self) -> Path:
        return self.state_dir / "pids"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def terraform_dir(self) -> Path:
        return self.state_dir / "terraform"

    @property
    def stack_env_path(self) -> Path:
        return self.state_dir / "stack.env"
