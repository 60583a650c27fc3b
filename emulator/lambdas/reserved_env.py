"""The environment a function process sees: its configured variables plus Lambda's reserved ones."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from emulator.config import Settings
from emulator.lambdas.function_registry import FunctionConfig

_DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


def execution_env_name(python: str) -> str:
    """AWS_EXECUTION_ENV as an AWS base image for the emulator's Python would set it (else Lambda's image value)."""
    if python:
        return "AWS_Lambda_Image"
    return f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}"


def build_environment(
    config: FunctionConfig,
    settings: Settings,
    *,
    runtime_api: str,
    log_stream: str,
    task_root: str,
    python_bin_dir: str | None = None,
    credentials: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Build the full environment from scratch; nothing of the emulator's own environment leaks in.

    `credentials` (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: the execution role's session)
    replace the settings' static keys, as Lambda passes a function its role's credentials.
    """
    path = f"{python_bin_dir}:{_DEFAULT_PATH}" if python_bin_dir else _DEFAULT_PATH
    env: dict[str, str] = {"PATH": path, "LANG": "en_US.UTF-8", "TZ": ":UTC"}
    env.update(config.environment)
    endpoint = settings.function_endpoint_url or settings.control_plane_url
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_size),
            "AWS_REGION": settings.region,
            "AWS_DEFAULT_REGION": settings.region,
            "_HANDLER": config.handler,
            "AWS_LAMBDA_RUNTIME_API": runtime_api,
            "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "LAMBDA_TASK_ROOT": task_root,
            "PYTHONPATH": task_root,
            "AWS_EXECUTION_ENV": execution_env_name(settings.function_python),
            "AWS_ACCESS_KEY_ID": settings.function_access_key_id,
            "AWS_SECRET_ACCESS_KEY": settings.function_secret_access_key,
            "AWS_ENDPOINT_URL": endpoint,
        }
    )
    if credentials:
        env.update(credentials)
    return env
