"""Write and read .local/stack.env, the shell-sourceable description of a running stack."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from devstack.config import REPO_ROOT, StackConfig

# Variables a caller may set to override (or replace) what the stack file says, e.g. for a deployed API.
OVERRIDES = (
    "API_URL",
    "ISSUER_URL",
    "TOKEN_URL",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "COMMAND_FUNCTION",
    "QUERY_FUNCTION",
    "PROJECTOR_FUNCTION",
    "ACCESS_LOG_GROUP",
)


def stack_values(
    config: StackConfig, outputs: dict[str, Any], jwt_issuer: str | None = None
) -> dict[str, str]:
    """ISSUER_URL/TOKEN_URL are mock_idp's, what tests mint tokens from; JWT_ISSUER is the one the API trusts."""
    functions = outputs.get("function_names", {})
    tables = outputs.get("table_names", {})
    return {
        "API_URL": config.api_url,
        "API_ID": str(outputs.get("api_id", "")),
        "ISSUER_URL": config.issuer_url,
        "TOKEN_URL": f"{config.issuer_url}/oauth2/token",
        "JWT_ISSUER": jwt_issuer or config.issuer_url,
        "JWT_AUDIENCE": config.audience,
        "AWS_ENDPOINT_URL": config.endpoint_url,
        "AWS_REGION": config.region,
        "EMULATOR_LAMBDA_URL": config.lambda_url,
        "COMMAND_FUNCTION": str(functions.get("command", "")),
        "QUERY_FUNCTION": str(functions.get("query", "")),
        "PROJECTOR_FUNCTION": str(functions.get("projector", "")),
        "EVENT_STORE_TABLE": str(tables.get("event_store", "")),
        "READ_MODEL_TABLE": str(tables.get("read_model", "")),
        "ACCESS_LOG_GROUP": str(
            outputs.get("access_log_group_name") or f"/aws/apigateway/{config.environment}-books-api"
        ),
        "LOG_DIR": str(config.log_dir),
        "IAM_MODE": config.iam_mode,
    }


def mock_tokens_refused(values: dict[str, str]) -> str | None:
    """Why tokens from the stack's mock_idp (ISSUER_URL) would be refused, or None when the API trusts it."""
    in_force = values.get("JWT_ISSUER")
    if not in_force or in_force == values.get("ISSUER_URL"):
        return None
    return (
        f"the stack trusts JWT_ISSUER={in_force}, not mock_idp ({values.get('ISSUER_URL')}), so its tokens would"
        " be refused; set TOKEN_URL, CLIENT_ID, CLIENT_SECRET for that issuer, or `JWT_ISSUER=mock make local-up`"
    )


def write(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Written by `make local-up`; `source` it (set -a) to talk to the local stack."]
    lines += [f"{key}={shlex.quote(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")


def read(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, raw = line.partition("=")
            parsed = shlex.split(raw)
            values[key] = parsed[0] if parsed else ""
    return values


def default_path(environ: Mapping[str, str] = os.environ) -> Path:
    """STACK_ENV, else <LOCAL_STATE_DIR>/stack.env, else .local/stack.env (relative paths: from the repo)."""
    if environ.get("STACK_ENV"):
        return Path(environ["STACK_ENV"])
    state_dir = Path(environ.get("LOCAL_STATE_DIR") or ".local")
    return (state_dir if state_dir.is_absolute() else REPO_ROOT / state_dir) / "stack.env"


def load(path: Path | None = None, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The stack file's values (none when it is missing); explicit environment variables win."""
    path = path or default_path(environ)
    values = read(path) if path.is_file() else {}
    values.update({key: environ[key] for key in OVERRIDES if environ.get(key)})
    return values


def answers_health(values: Mapping[str, str], timeout: float = 2.0) -> bool:
    """A local stack is live: its emulator is ready and serves API_ID, and its control plane answers."""
    lambda_url, endpoint = values.get("EMULATOR_LAMBDA_URL"), values.get("AWS_ENDPOINT_URL")
    if not lambda_url or not endpoint:
        return False
    try:
        health = requests.get(f"{lambda_url}/_emulator/health", timeout=timeout)
        control_plane = requests.get(f"{endpoint}/moto-api/", timeout=timeout)
        served = health.json().get("apis") or {} if health.ok else {}
    except (requests.RequestException, ValueError):
        return False
    api_id = values.get("API_ID")
    return health.ok and control_plane.ok and (not api_id or api_id in served)
