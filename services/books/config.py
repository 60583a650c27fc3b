"""Settings of the books functions, read from the environment in this one place."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    event_store_table: str
    read_model_table: str
    log_level: str
    idempotency_ttl_seconds: int


def load(environ: dict[str, str] | None = None) -> Settings:
    """Settings from the environment; each has a local default. AWS_ENDPOINT_URL is left to boto3."""
    env = dict(os.environ if environ is None else environ)
    return Settings(
        event_store_table=env.get("EVENT_STORE_TABLE", "local-books-events"),
        read_model_table=env.get("READ_MODEL_TABLE", "local-books-read-model"),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        idempotency_ttl_seconds=int(env.get("IDEMPOTENCY_TTL_SECONDS", "86400")),
    )
