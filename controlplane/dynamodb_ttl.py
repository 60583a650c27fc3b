"""Time to Live: a background sweep deletes expired items, each with a REMOVE record marked as DynamoDB's own."""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from controlplane.dynamodb_transactions import stored

logger = logging.getLogger("controlplane.ttl")

# AWS (developerguide/time-to-live-ttl-before-you-start.html): an item expires when its TTL attribute is a
# top-level Number of epoch seconds less than the current time, and no more than five years in the past.
# AWS does not define the year; we take 5 x 365.25 days.
FIVE_YEARS_SECONDS = 5 * 365.25 * 86_400
# AWS deletes expired items "typically within two days"; locally a sweep runs every SWEEP_SECONDS
# (TTL_SWEEP_SECONDS, or --ttl-sweep-seconds), so a test can wait for an expiry with a bounded wait.
SWEEP_SECONDS = 5.0
# Deletions per hold of the write lock, so a large expiry never stalls writers for a whole sweep.
BATCH = 500
# AWS (developerguide/time-to-live-ttl-streams.html, streams API Identity): the REMOVE record of a TTL
# deletion carries this userIdentity; GetRecords spells its members PrincipalId and Type.
SERVICE_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
_INDEX = "_controlplane_ttl"


def expiry(item: Any, attribute: str) -> float | None:
    """The item's expiry in epoch seconds, or None when its TTL attribute is absent or not a Number."""
    value = item.attrs.get(attribute)
    if value is None or value.type != "N":
        return None
    try:
        return float(value.value)
    except (TypeError, ValueError):
        return None


def expired(expires_at: float | None, now: float) -> bool:
    """What DynamoDB deletes: an expiry before now, at most five years ago."""
    return expires_at is not None and now - FIVE_YEARS_SECONDS <= expires_at < now


@dataclass
class Expiries:
    """A table's items by expiry: a heap of (expires_at, n, hash key, range key), checked again when popped.

    A write pushes the value it stored and nothing is ever removed early, so an entry may be stale (the
    item was rewritten, rolled back or deleted since); the sweep compares it with the stored item.
    """

    attribute: str
    heap: list[tuple[float, int, Any, Any]] = field(default_factory=list)
    _count: Iterator[int] = field(default_factory=itertools.count)

    def push(self, item: Any) -> None:
        expires_at = expiry(item, self.attribute)
        if expires_at is not None:
            heapq.heappush(self.heap, (expires_at, next(self._count), item.hash_key, item.range_key))

    def due(self, now: float) -> Iterator[tuple[float, Any, Any]]:
        """Pop every entry whose time has come (expiries before now)."""
        while self.heap and self.heap[0][0] < now:
            expires_at, _, hash_key, range_key = heapq.heappop(self.heap)
            yield expires_at, hash_key, range_key


def _attribute(table: Any) -> str | None:
    ttl = getattr(table, "ttl", None) or {}
    return ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None


def _items(table: Any) -> Iterator[Any]:
    for value in list(table.items.values()):
        if table.range_key_attr is None:
            yield value
        else:
            yield from list(value.values())


def expiries_of(table: Any) -> Expiries | None:
    """The table's index while TTL is enabled; built by one scan when TTL is (re)enabled, else kept."""
    attribute = _attribute(table)
    index: Expiries | None = table.__dict__.get(_INDEX)
    if attribute is None:
        table.__dict__.pop(_INDEX, None)
        return None
    if index is None or index.attribute != attribute:
        index = table.__dict__[_INDEX] = Expiries(attribute)
        for item in _items(table):
            index.push(item)
    return index


def _delete_as_service(table: Any, hash_key: Any, range_key: Any) -> None:
    """moto's Table.delete_item (its REMOVE record has the images of the stream view type), then mark it."""
    shard = table.stream_shard
    next_sequence = None if shard is None else shard.starting_sequence_number + len(shard.items)
    table.delete_item(hash_key, range_key)
    if range_key is not None and table.items.get(hash_key) == {}:
        del table.items[hash_key]  # moto leaves an empty partition behind
    if shard is not None and next_sequence is not None:
        offset = next_sequence - shard.starting_sequence_number
        if 0 <= offset < len(shard.items):
            shard.items[offset].record["userIdentity"] = dict(SERVICE_IDENTITY)


@dataclass
class SweepReport:
    examined: int = 0
    deleted: int = 0


def sweep_table(
    table: Any, now: float, lock: threading.RLock, report: SweepReport | None = None
) -> SweepReport:
    """Delete the table's expired items under the write lock, BATCH per hold; O(entries due), not O(table)."""
    report = report or SweepReport()
    while True:
        with lock:
            index = expiries_of(table)
            if index is None:
                return report
            done, deleted = True, 0
            for expires_at, hash_key, range_key in index.due(now):
                report.examined += 1
                item = stored(table, hash_key, range_key)
                # A stale entry: the item is gone, or was rewritten (its current expiry has its own entry).
                if (
                    item is None
                    or expiry(item, index.attribute) != expires_at
                    or not expired(expires_at, now)
                ):
                    continue
                _delete_as_service(table, hash_key, range_key)
                report.deleted += 1
                deleted += 1
                if deleted == BATCH:
                    done = False
                    break
        if done:
            return report


def _tables() -> Iterator[Any]:
    from moto.dynamodb.models import dynamodb_backends

    for account in list(dynamodb_backends.values()):
        for backend in list(account.values()):
            yield from list(backend.tables.values())


def sweep(lock: threading.RLock, now: float | None = None) -> SweepReport:
    """One pass over every table of every account and region."""
    report = SweepReport()
    now = time.time() if now is None else now
    for table in _tables():
        sweep_table(table, now, lock, report)
    return report


def start_sweeper(lock: threading.RLock, interval: float = SWEEP_SECONDS) -> threading.Event:
    """Sweep every `interval` seconds on a daemon thread; set the returned event to stop it."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(interval):
            try:
                report = sweep(lock)
            except Exception:  # a bad table must not end expiry for every other table
                logger.exception("ttl sweep failed")
                continue
            if report.deleted:
                logger.info("ttl sweep deleted %d expired items", report.deleted)

    threading.Thread(target=run, name="ttl-sweeper", daemon=True).start()
    return stop


def _indexed(write: Callable[..., Any]) -> Callable[..., Any]:
    """PutItem and UpdateItem (and so BatchWriteItem and TransactWriteItems) index the item they stored."""

    @functools.wraps(write)
    def indexed(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        item = write(self, table_name, *args, **kwargs)
        index = expiries_of(self.get_table(table_name))
        if index is not None and item is not None:
            index.push(item)
        return item

    return indexed


def _reindexed(update_time_to_live: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    @functools.wraps(update_time_to_live)
    def reindexed(self: Any, table_name: str, ttl_spec: dict[str, Any]) -> Any:
        with lock:
            result = update_time_to_live(self, table_name, ttl_spec)
            expiries_of(
                self.get_table(table_name)
            )  # enabling scans the table once; disabling drops the index
            return result

    return reindexed


def reviewed_functions() -> dict[str, Callable[..., Any]]:
    """The moto functions the sweep wraps or relies on, by the name REVIEWED_SOURCES uses."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamRecord, Table

    return {
        "moto.dynamodb.models.DynamoDBBackend.put_item": DynamoDBBackend.put_item,
        "moto.dynamodb.models.DynamoDBBackend.update_item": DynamoDBBackend.update_item,
        "moto.dynamodb.models.DynamoDBBackend.update_time_to_live": DynamoDBBackend.update_time_to_live,
        "moto.dynamodb.models.table.Table.__init__": Table.__init__,
        "moto.dynamodb.models.table.Table.delete_item": Table.delete_item,
        "moto.dynamodb.models.table.StreamRecord.__init__": StreamRecord.__init__,
    }


def apply(lock: threading.RLock) -> None:
    """Index writes and TTL changes; call before the write methods are wrapped in the lock."""
    from moto.dynamodb.models import DynamoDBBackend

    DynamoDBBackend.put_item = _indexed(DynamoDBBackend.put_item)  # type: ignore[method-assign]
    DynamoDBBackend.update_item = _indexed(DynamoDBBackend.update_item)  # type: ignore[method-assign]
    DynamoDBBackend.update_time_to_live = _reindexed(  # type: ignore[method-assign]
        DynamoDBBackend.update_time_to_live, lock
    )
