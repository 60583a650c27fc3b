"""moto with our patches, in this process: applied for a module, then undone so other tests see plain moto."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

from controlplane import moto_patches

ACCOUNT = "123456789012"


def _patched_classes() -> list[type]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard, Table
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    return [
        DynamoDBBackend,
        StreamShard,
        Table,
        DynamoHandler,
        DynamoDBStreamsBackend,
        DynamoDBStreamsHandler,
    ]


@pytest.fixture(scope="module")
def patched_moto() -> Iterator[dict[str, dict[str, Any]]]:
    """Yields moto's own class attributes, by class name, as they were before the patches."""
    saved = [(cls, dict(vars(cls))) for cls in _patched_classes()]
    moto_patches.apply()
    yield {cls.__name__: attrs for cls, attrs in saved}
    for cls, attrs in saved:
        for name in set(vars(cls)) - set(attrs):
            delattr(cls, name)
        for name, value in attrs.items():
            if vars(cls).get(name) is not value:
                setattr(cls, name, value)


@dataclass
class Aws:
    ddb: Any
    streams: Any
    backend: Any
    streams_backend: Any


@pytest.fixture(scope="module")
def _mocked(patched_moto: dict[str, dict[str, Any]]) -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def aws(_mocked: None) -> Iterator[Aws]:
    """boto3 clients on moto's in-process mock (its request parsing and handlers included), emptied after."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    # moto 5.2.5 does not route botocore's account-based streams endpoint.
    config = Config(account_id_endpoint_mode="disabled", retries={"max_attempts": 1})
    yield Aws(
        boto3.client("dynamodb", region_name="us-east-1", config=config),
        boto3.client("dynamodbstreams", region_name="us-east-1", config=config),
        dynamodb_backends[ACCOUNT]["us-east-1"],
        dynamodbstreams_backends[ACCOUNT]["us-east-1"],
    )
    for backend in dynamodb_backends[ACCOUNT].values():
        backend.tables.clear()
        backend.__dict__.pop("_controlplane_tokens", None)
    for streams in dynamodbstreams_backends[ACCOUNT].values():
        streams.shard_iterators.clear()
        streams.__dict__.pop("_controlplane_issued", None)
