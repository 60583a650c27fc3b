"""boto3 clients for the control plane, built in one place with the configured endpoint."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from emulator.config import Settings

_BOTO_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=50)


@lru_cache(maxsize=64)
def _client(service: str, endpoint_url: str, region: str, access_key: str) -> Any:
    session: Any = boto3.session.Session()
    return session.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key="test",
        config=_BOTO_CONFIG,
    )


def client(settings: Settings, service: str, access_key: str = "test") -> Any:
    """A cached boto3 client for `service` against the settings' control plane (static keys by default)."""
    return _client(service, settings.control_plane_url, settings.region, access_key)
