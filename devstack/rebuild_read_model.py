"""rebuild-read-model: re-project every book of the local stack (or of ENV on AWS) from its events."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import boto3
from books.adapters.event_store import DynamoDbEventStore
from books.adapters.read_model import DynamoDbReadModel
from books.service_layer.rebuild import RebuildReport, rebuild
from botocore.exceptions import BotoCoreError, ClientError

from devstack import stack_env
from devstack.config import StackConfig


class RebuildError(RuntimeError):
    """The stack to rebuild cannot be found or reached."""


def stack_file() -> tuple[Path, str]:
    """STACK_ENV, else ENV's .deploy/<env>/stack.env (written by aws-deploy), else the local stack's."""
    if os.environ.get("STACK_ENV"):
        return Path(os.environ["STACK_ENV"]), "STACK_ENV"
    env = os.environ.get("ENV", "")
    if env:
        from devstack.aws_deploy import deploy_dir, environment_name

        name = environment_name()
        return deploy_dir(name) / "stack.env", f"ENV={name} (run `make aws-deploy ENV={name}` first)"
    return StackConfig.from_env().stack_env_path, "the local stack (run `make local-up` first)"


def client_for(values: dict[str, str]) -> Any:
    make_client: Any = boto3.client  # boto3's overloads accept only literal service names
    endpoint = values.get("AWS_ENDPOINT_URL") or None
    region = values.get("AWS_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
    if endpoint is None:
        return make_client("dynamodb", region_name=region)
    # The local control plane takes any credentials; a shell without AWS ones must still rebuild.
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    return make_client("dynamodb", endpoint_url=endpoint, region_name=region, **credentials)


def _progress(line: str) -> None:
    sys.stdout.write(f"  {line}\n")
    sys.stdout.flush()


def run() -> RebuildReport:
    path, what = stack_file()
    if not path.is_file():
        raise RebuildError(f"{path} is missing: no stack.env for {what}")
    values = stack_env.read(path)
    tables = (values.get("EVENT_STORE_TABLE", ""), values.get("READ_MODEL_TABLE", ""))
    if not all(tables):
        raise RebuildError(f"{path} names no EVENT_STORE_TABLE and READ_MODEL_TABLE")
    client = client_for(values)
    sys.stdout.write(f"rebuild-read-model: {tables[1]} from {tables[0]}\n")
    report = rebuild(
        client,
        DynamoDbEventStore(client, tables[0]),
        DynamoDbReadModel(client, tables[1]),
        tables,
        progress=_progress,
    )
    sys.stdout.write(
        f"rebuild-read-model: {report.books} books, fixed {report.fixed}"
        f" ({len(report.restored)} re-projected, {len(report.removed)} without events removed)"
        + (
            f"; {len(report.ahead)} newer than their events, left alone: {', '.join(report.ahead)}"
            if report.ahead
            else ""
        )
        + "\n"
    )
    return report


def main() -> int:
    try:
        run()
    except (RebuildError, BotoCoreError, ClientError) as exc:
        sys.stderr.write(f"rebuild-read-model: {str(exc).splitlines()[0]}\n")
        return 2
    return 0
