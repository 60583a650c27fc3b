"""Does the control plane still hold what the Terraform state names? moto keeps everything in memory."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devstack.config import StackConfig

RESTARTED = "the control plane restarted; its data is gone; re-creating"

# Resource types whose absence shows a control plane that lost its data: (service, call, argument, not-found).
_PROBES: dict[str, tuple[str, str, str, str]] = {
    "aws_apigatewayv2_api": ("apigatewayv2", "get_api", "ApiId", "NotFoundException"),
    "aws_dynamodb_table": ("dynamodb", "describe_table", "TableName", "ResourceNotFoundException"),
    "aws_lambda_function": ("lambda", "get_function", "FunctionName", "ResourceNotFoundException"),
}


class StateCheckError(RuntimeError):
    """The control plane could not be asked whether it still holds the state's resources."""


Exists = Callable[[str, str], bool]  # (resource type, id) -> still there?


def named_resources(state: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(address, type, id) of every probed resource the state holds."""
    found = []
    for resource in state.get("resources") or []:
        if resource.get("mode") != "managed" or resource.get("type") not in _PROBES:
            continue
        address = ".".join(filter(None, (resource.get("module"), resource["type"], resource.get("name"))))
        for instance in resource.get("instances") or []:
            resource_id = str((instance.get("attributes") or {}).get("id") or "")
            if resource_id:
                found.append((address, resource["type"], resource_id))
    return found


def missing(state: dict[str, Any], exists: Exists) -> list[str]:
    """Addresses of state resources the control plane no longer has."""
    return [address for address, kind, rid in named_resources(state) if not exists(kind, rid)]


def boto3_exists(endpoint_url: str, region: str) -> Exists:
    import boto3
    from botocore.exceptions import ClientError

    def exists(kind: str, resource_id: str) -> bool:
        service, call, argument, not_found = _PROBES[kind]
        client = boto3.session.Session().client(
            service,
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        try:
            getattr(client, call)(**{argument: resource_id})
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == not_found:
                return False
            raise
        return True

    return exists


def discard_if_lost(config: StackConfig, exists: Exists | None = None) -> bool:
    """When the state names resources the control plane lacks: say so, delete the state, return True."""
    state_path: Path = config.terraform_dir / "terraform.tfstate"
    try:
        state = json.loads(state_path.read_text())
    except (OSError, ValueError):
        return False  # no state (or not one terraform wrote): apply creates everything anyway
    try:
        gone = missing(state, exists or boto3_exists(config.endpoint_url, config.region))
    except Exception as exc:  # botocore's errors, unknown to the caller: one line, not a traceback
        raise StateCheckError(f"could not compare the Terraform state with the control plane: {exc}") from exc
    if not gone:
        return False
    report_restart()
    state_path.unlink(missing_ok=True)
    return True


def report_restart() -> None:
    sys.stdout.write(f"[local-up] {RESTARTED}\n")
    sys.stdout.flush()
