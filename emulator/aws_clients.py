"""boto3 clients for the control plane, built in one place with the configured endpoint."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from emulator.config import Settings

_BOTO_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=50)


@lru_cache(maxsize=64)
def _client(
    service: str,
    endpoint_url: str,
    region: str,
    access_key: str,
    secret_key: str,
    session_token: str | None,
) -> Any:
    session: Any = boto3.session.Session()
    return session.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        config=_BOTO_CONFIG,
    )


def client(settings: Settings, service: str, access_key: str = "test") -> Any:
    """A cached boto3 client for `service` against the settings' control plane (static keys by default)."""
    # The control plane takes any secret for a static key; the session's own secret signs a role's calls.
    return _client(service, settings.control_plane_url, settings.region, access_key, "test", None)


def session_client(settings: Settings, service: str, session: dict[str, str]) -> Any:
    """A cached client signed with a role session (the AWS_* variables RoleCredentials returns)."""
    return _client(
        service,
        settings.control_plane_url,
        settings.region,
        session["AWS_ACCESS_KEY_ID"],
        session["AWS_SECRET_ACCESS_KEY"],
        session["AWS_SESSION_TOKEN"],
    )
