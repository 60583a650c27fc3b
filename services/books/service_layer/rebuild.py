"""Rebuild the read model from the event store with the projector's own versioned upserts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from books.adapters import event_codec
from books.adapters.event_store import AbstractEventStore
from books.adapters.read_model import AbstractReadModel
from books.domain.events import Event
from books.service_layer.projection import project

_de = TypeDeserializer()


@dataclass
class RebuildReport:
    """What a rebuild found and changed; `fixed` counts the items it wrote or removed."""

    books: int = 0
    restored: list[str] = field(default_factory=list)  # written: missing, or older than the latest event
    removed: list[str] = field(default_factory=list)  # deleted: no event ever named the book
    ahead: list[str] = field(default_factory=list)  # newer than every event: left alone, reported

    @property
    def fixed(self) -> int:
        return len(self.restored) + len(self.removed)


def _scan(client: Any, table: str, projection: str, names: dict[str, str]) -> Iterator[dict[str, Any]]:
    request: dict[str, Any] = {
        "TableName": table,
        "ProjectionExpression": projection,
        "ExpressionAttributeNames": names,
    }
    while True:
        response = client.scan(**request)
        for item in response.get("Items", []):
            yield {k: _de.deserialize(v) for k, v in item.items()}
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def book_ids(client: Any, event_store_table: str) -> list[str]:
    """Every book that has at least one event (keys only: the events are read one book at a time)."""
    ids = {
        str(item["pk"]).removeprefix(event_codec.BOOK_PREFIX)
        for item in _scan(client, event_store_table, "#pk", {"#pk": "pk"})
        if str(item["pk"]).startswith(event_codec.BOOK_PREFIX)
    }
    return sorted(ids)


def read_model_versions(client: Any, read_model_table: str) -> dict[str, int | None]:
    """Each read-model item's version (None for a junk item without one)."""
    return {
        str(item["id"]): (int(item["version"]) if "version" in item else None)
        for item in _scan(client, read_model_table, "#id, #v", {"#id": "id", "#v": "version"})
    }


def rebuild(
    client: Any,
    event_store: AbstractEventStore,
    read_model: AbstractReadModel,
    tables: tuple[str, str],
    progress: Callable[[str], None] = lambda line: None,
) -> RebuildReport:
    """Re-project each book's latest event (every event carries the whole book) and drop items with no events.

    Safe while writes continue: every write is the projector's conditional upsert, so a newer version written
    meanwhile always wins, and an item is deleted only if a consistent read still finds no event for it and
    its version is still the one seen.
    """
    event_store_table, read_model_table = tables
    report = RebuildReport()
    seen = read_model_versions(client, read_model_table)
    ids = book_ids(client, event_store_table)
    for n, book_id in enumerate(ids, 1):
        latest = event_store.latest(book_id)
        if latest is None:
            continue
        report.books += 1
        _reproject(latest, seen.pop(book_id, None), read_model, report)
        if n % 100 == 0 or n == len(ids):
            progress(f"re-projected {n}/{len(ids)} books, {report.fixed} fixed so far")
    for book_id, version in sorted(seen.items()):
        latest = event_store.latest(book_id)  # an event may have landed since the scan
        if latest is not None:
            report.books += 1
            _reproject(latest, version, read_model, report)
        elif _delete_if_unchanged(client, read_model_table, book_id, version):
            report.removed.append(book_id)
    progress(f"{len(seen)} read-model items had no event in the scan; {len(report.removed)} removed")
    return report


def _reproject(latest: Event, seen: int | None, read_model: AbstractReadModel, report: RebuildReport) -> None:
    label = f"{latest.book.id}@{latest.book.version}"
    if project(latest, read_model):
        report.restored.append(label)
    elif seen is not None and seen > latest.book.version:
        report.ahead.append(f"{latest.book.id}@{seen}")


def _delete_if_unchanged(client: Any, table: str, book_id: str, version: int | None) -> bool:
    request: dict[str, Any] = {"TableName": table, "Key": {"id": {"S": book_id}}}
    if version is None:
        request["ConditionExpression"] = "attribute_exists(id) AND attribute_not_exists(version)"
    else:
        request["ConditionExpression"] = "version = :v"
        request["ExpressionAttributeValues"] = {":v": {"N": str(version)}}
    try:
        client.delete_item(**request)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False  # changed since the scan: a projector upsert got there first
        raise
    return True
