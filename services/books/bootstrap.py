"""The one place where the functions' dependencies are built from settings."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import boto3

from books import config, structured_logging
from books.adapters.read_model import AbstractReadModel, DynamoDbReadModel
from books.service_layer.handlers import Deps, new_book_id
from books.service_layer.unit_of_work import DynamoDbUnitOfWork


@functools.cache
def settings() -> config.Settings:
    loaded = config.load()
    structured_logging.configure(loaded.log_level)
    return loaded


@functools.cache
def _dynamodb() -> Any:
    # boto3 reads AWS_ENDPOINT_URL and the region itself: the same code runs on AWS and locally.
    return boto3.client("dynamodb")


@functools.cache
def command_deps() -> Deps:
    s = settings()
    return Deps(
        uow=DynamoDbUnitOfWork(_dynamodb(), s.event_store_table),
        now=lambda: datetime.now(UTC),
        new_id=new_book_id,
        idempotency_ttl_seconds=s.idempotency_ttl_seconds,
    )


@functools.cache
def read_model() -> AbstractReadModel:
    return DynamoDbReadModel(_dynamodb(), settings().read_model_table)
