"""The emulator's settings: every environment variable it reads, each with a local default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


IAM_MODES = ("enforce", "log", "off")


def _iam_mode(value: str) -> str:
    mode = value.strip().lower() or "off"
    if mode not in IAM_MODES:
        raise ValueError(f"IAM_MODE must be one of {', '.join(IAM_MODES)}, not {value!r}")
    return mode


@dataclass(frozen=True)
class Settings:
    """Emulator configuration; `Settings.from_env()` is the only place the environment is read."""

    # AWS control plane (moto server or any AWS-compatible endpoint) read through boto3.
    control_plane_url: str = "http://127.0.0.1:4566"
    region: str = "us-east-1"
    # Where the HTTP APIs are served (stage $default, no stage prefix in the path).
    host: str = "127.0.0.1"
    port: int = 4567
    # Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations) and /_emulator/health.
    lambda_port: int = 4568
    # "subprocess" (no Docker) or "container".
    executor: str = "subprocess"
    # fnmatch pattern on the ECR repository name = build context directory, comma separated.
    code_map: str = "*=services"
    # Python that runs `-m awslambdaric` in the subprocess executor ("" = the emulator's own).
    function_python: str = ""
    # Warm environments per function, at most.
    max_concurrency: int = 10
    # Cold starts of one function in flight at once; a caller past it waits for the first free environment.
    max_starting: int = os.cpu_count() or 2
    # Seconds a caller that finds every environment busy waits for one to free up before a cold start (which
    # costs a second of CPU here, and starves the warm ones meanwhile). 0: start at once, as Lambda does.
    cold_start_grace_seconds: float = 0.2
    # Seconds between control-plane refreshes (new terraform applies are picked up within this).
    refresh_seconds: float = 2.0
    # Seconds a log batch collects events before one PutLogEvents per stream (Lambda delivers logs
    # asynchronously, seconds after the line; at 0.1 s the shipper was a sixth of a loaded emulator's CPU).
    log_flush_seconds: float = 1.0
    # Container executor: mount the code-mapped build context's packages over the image's (live reload).
    mount_code: bool = False
    # Address the container executor gives functions for the Runtime API (host as seen from a container).
    runtime_api_host: str = "127.0.0.1"
    # Docker network for function containers ("" = default).
    docker_network: str = ""
    # IAM_MODE (enforce, log, off): whether functions run as their execution role. Under enforce and log each
    # environment gets an STS session of its role (the control plane authorizes its calls); under off, and
    # for every call the emulator itself makes, the static credentials below.
    iam_mode: str = "off"
    # Credentials handed to functions under IAM_MODE=off (they point at the local control plane, never AWS).
    function_access_key_id: str = "test"
    function_secret_access_key: str = "test"
    # Control-plane endpoint as seen from inside function environments ("" = control_plane_url).
    function_endpoint_url: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            control_plane_url=_env(
                "EMULATOR_CONTROL_PLANE_URL", _env("AWS_ENDPOINT_URL", cls.control_plane_url)
            ),
            region=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", cls.region)),
            host=_env("EMULATOR_HOST", cls.host),
            port=int(_env("EMULATOR_PORT", str(cls.port))),
            lambda_port=int(_env("EMULATOR_LAMBDA_PORT", str(cls.lambda_port))),
            executor=_env("EMULATOR_EXECUTOR", cls.executor),
            code_map=_env("EMULATOR_CODE_MAP", cls.code_map),
            function_python=_env("EMULATOR_FUNCTION_PYTHON", cls.function_python),
            max_concurrency=int(_env("EMULATOR_MAX_CONCURRENCY", str(cls.max_concurrency))),
            max_starting=int(_env("EMULATOR_MAX_STARTING", str(cls.max_starting))),
            cold_start_grace_seconds=float(
                _env("EMULATOR_COLD_START_GRACE_SECONDS", str(cls.cold_start_grace_seconds))
            ),
            refresh_seconds=float(_env("EMULATOR_REFRESH_SECONDS", str(cls.refresh_seconds))),
            log_flush_seconds=float(_env("EMULATOR_LOG_FLUSH_SECONDS", str(cls.log_flush_seconds))),
            mount_code=_env("EMULATOR_MOUNT_CODE", "0").lower() in ("1", "true", "yes"),
            runtime_api_host=_env("EMULATOR_RUNTIME_API_HOST", cls.runtime_api_host),
            docker_network=_env("EMULATOR_DOCKER_NETWORK", cls.docker_network),
            function_endpoint_url=_env("EMULATOR_FUNCTION_ENDPOINT_URL", cls.function_endpoint_url),
            iam_mode=_iam_mode(_env("IAM_MODE", cls.iam_mode)),
        )

    def code_map_entries(self) -> list[tuple[str, str]]:
        """The code map as (pattern, directory) pairs, in the order given."""
        pairs = []
        for item in filter(None, (part.strip() for part in self.code_map.split(","))):
            pattern, _, directory = item.partition("=")
            pairs.append((pattern.strip(), directory.strip()))
        return pairs
