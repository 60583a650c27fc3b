"""Write and read .local/stack.env, the shell-sourceable description of a running stack."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from devstack.config import StackConfig


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
