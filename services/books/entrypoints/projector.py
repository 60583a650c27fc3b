"""Projector Lambda: DynamoDB stream records of the event store in, read model upserts out."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from books import bootstrap
from books.adapters import event_codec
from books.adapters.read_model import AbstractReadModel
from books.service_layer.projection import project

logger = logging.getLogger("books.projector")
_deserializer = TypeDeserializer()
# Records of a batch in flight at once (boto3 clients are thread-safe).
PROJECTION_THREADS = 8
_executor: ThreadPoolExecutor | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return project_batch(event, context, bootstrap.read_model())


def project_batch(
    event: dict[str, Any], context: Any, read_model: AbstractReadModel
) -> dict[str, list[dict[str, str]]]:
    """Project every record; report the ones that failed so Lambda retries them and not the whole batch."""
    started = time.perf_counter()
    failures: list[dict[str, str]] = []
    applied: list[str] = []
    skipped = 0
    records = event.get("Records", [])
    # Versioned upserts commute, so records are projected side by side: one at a time, the read model's
    # round trips (not the work) capped a shard at about 80 records/s.
    for record, outcome in zip(records, _pool().map(lambda r: _attempt(r, read_model), records), strict=True):
        if isinstance(outcome, Exception):
            # One poison record must not hold back the rest: log it, report it, go on.
            dynamodb = record.get("dynamodb") or {}
            logger.error(
                "record failed",
                exc_info=outcome,
                extra={
                    "aws_request_id": getattr(context, "aws_request_id", None),
                    "event_id": record.get("eventID"),
                },
            )
            failures.append(
                {"itemIdentifier": str(dynamodb.get("SequenceNumber", record.get("eventID", "")))}
            )
        elif outcome:
            applied.append(outcome)
        else:
            skipped += 1
    logger.info(
        "batch",
        extra={
            "aws_request_id": getattr(context, "aws_request_id", None),
            "route": "dynamodb-stream",
            "records": len(event.get("Records", [])),
            "applied": len(applied),
            "projected": applied,
            "skipped": skipped,
            "failed": len(failures),
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
    return {"batchItemFailures": failures}


def _pool() -> ThreadPoolExecutor:
    """One pool per execution environment, kept across invocations like the boto3 client."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(PROJECTION_THREADS, thread_name_prefix="project")
    return _executor


def _attempt(record: dict[str, Any], read_model: AbstractReadModel) -> str | Exception | None:
    try:
        return _project_record(record, read_model)
    except Exception as exc:
        return exc


def _project_record(record: dict[str, Any], read_model: AbstractReadModel) -> str | None:
    """`<book id>@<version>` when the read model changed; None for other items, duplicates and stale events."""
    dynamodb = record.get("dynamodb") or {}
    keys = dynamodb.get("Keys") or {}
    pk = (keys.get("pk") or {}).get("S", "")
    if not pk.startswith(event_codec.BOOK_PREFIX) or record.get("eventName") == "REMOVE":
        return None  # ISBN claims, idempotency records and expiries are not book events
    image = dynamodb.get("NewImage")
    if image is None:
        raise event_codec.UnreadableEvent(
            "a book event record without NewImage: the stream must carry NEW_IMAGE"
        )
    item = {k: _deserializer.deserialize(v) for k, v in image.items()}
    event = event_codec.event_from_item(item)
    return f"{event.book.id}@{event.book.version}" if project(event, read_model) else None
