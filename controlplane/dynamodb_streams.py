"""Stream records as DynamoDB writes them: one per change, none for a no-op, kept 24 hours, iterators 15 min."""

from __future__ import annotations

import bisect
import datetime
import functools
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from controlplane.dynamodb_transactions import stored

# AWS: stream records older than 24 hours are subject to trimming; a shard iterator expires 15 minutes
# after it is returned. Trimming waits for an extra hour of records so that each write stays O(1).
RETENTION = datetime.timedelta(hours=24)
TRIM_BATCH = datetime.timedelta(hours=1)
ITERATOR_SECONDS = 15 * 60.0

_local = threading.local()  # the changes an UpdateItem in progress on this thread has recorded so far


def _now() -> datetime.datetime:
    from moto.core.utils import utcnow

    return utcnow()


def _created_at(record: Any) -> datetime.datetime:
    return record.record["dynamodb"]["ApproximateCreationDateTime"]


def trim(shard: Any, now: datetime.datetime | None = None) -> int:
    """Drop records older than RETENTION once the oldest is RETENTION + TRIM_BATCH old; how many went.

    The shard's starting sequence number moves past them, so sequence numbers stay the index into
    shard.items (moto computes TRIM_HORIZON, LATEST and GetRecords positions from it).
    """
    items = shard.items
    now = now or _now()
    if not items or now - _created_at(items[0]) < RETENTION + TRIM_BATCH:
        return 0
    cut = bisect.bisect_left(items, now - RETENTION, key=_created_at)
    del items[:cut]
    shard.starting_sequence_number += cut
    return cut


def _unchanged(old: Any, new: Any) -> bool:
    try:
        return bool(old == new)
    except (AttributeError, TypeError):
        return False


def _recorded_add(add: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(add)
    def recorded(self: Any, old: Any, new: Any) -> None:
        pending = getattr(_local, "pending", None)
        if pending is not None:
            pending.append((self, old, new))
            return
        if old is not None and new is not None and _unchanged(old, new):
            return  # DynamoDB writes no stream record for a PutItem or UpdateItem that changes nothing
        add(self, old, new)
        trim(self)

    return recorded


def _one_record_per_update(update_item: Callable[..., Any]) -> Callable[..., Any]:
    """moto stores a key-only item before it applies the expression, and records both steps."""

    @functools.wraps(update_item)
    def one_record(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "pending", None) is not None:
            return update_item(self, table_name, key, *args, **kwargs)
        created = _absent_key(self, table_name, key)
        _local.pending = []
        try:
            item = update_item(self, table_name, key, *args, **kwargs)
        except BaseException:
            if created is not None:
                _discard(*created)  # a failed UpdateItem leaves no key-only item behind
            raise
        finally:
            pending, _local.pending = _local.pending, None
        if pending:
            shard, old, _ = pending[0]
            shard.add(old, pending[-1][2])
        return item

    return one_record


def _absent_key(backend: Any, table_name: str, key: dict[str, Any]) -> tuple[Any, Any, Any] | None:
    """(table, hash, range) when the item does not exist yet; None when it does or the key is bad."""
    try:
        table = backend.get_table(table_name)
        hash_key, range_key = backend.get_keys_value(table, key)
        if stored(table, hash_key, range_key) is not None:
            return None
    except Exception:
        return None  # moto reports the bad key itself
    return table, hash_key, range_key


def _discard(table: Any, hash_key: Any, range_key: Any) -> None:
    if range_key is None:
        table.items.pop(hash_key, None)
        return
    partition = table.items.get(hash_key)
    if partition is not None:
        partition.pop(range_key, None)
        if not partition:
            del table.items[hash_key]


def _locked_get(lock: threading.RLock) -> Callable[..., list[dict[str, Any]]]:
    def get(self: Any, start: int, quantity: int) -> list[dict[str, Any]]:
        """Records from sequence number start; under the write lock, so never a record that rolls back."""
        from moto.core.exceptions import JsonRESTError

        with lock:
            offset = start - self.starting_sequence_number
            if offset < 0:
                raise JsonRESTError(
                    "TrimmedDataAccessException", "The data you are trying to access has been trimmed."
                )
            return [record.to_json() for record in self.items[offset : offset + quantity]]

    return get


def _issued(backend: Any) -> deque[tuple[float, str]]:
    issued = backend.__dict__.get("_controlplane_issued")
    if issued is None:
        issued = backend.__dict__["_controlplane_issued"] = deque()
    return issued


def expire_iterators(backend: Any, now: float) -> None:
    """Forget iterators issued more than ITERATOR_SECONDS ago (moto keeps every one it ever issued)."""
    issued = _issued(backend)
    while issued and issued[0][0] <= now - ITERATOR_SECONDS:
        _, arn = issued.popleft()
        backend.shard_iterators.pop(arn, None)


def _expiring_get_shard_iterator(original: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    @functools.wraps(original)
    def get_shard_iterator(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:  # LATEST reads the shard's start and length together
            iterator = original(self, *args, **kwargs)
            now = time.monotonic()
            _issued(self).append((now, iterator.arn))
            expire_iterators(self, now)
        return iterator

    return get_shard_iterator


def _expiring_get_records(original: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    @functools.wraps(original)
    def get_records(self: Any, iterator_arn: str, limit: int) -> Any:
        from moto.core.exceptions import JsonRESTError

        with lock:
            now = time.monotonic()
            expire_iterators(self, now)
            if iterator_arn not in self.shard_iterators:
                raise JsonRESTError("ExpiredIteratorException", "Iterator expired or unknown.")
            result = original(self, iterator_arn, limit)
            _issued(self).append((now, result["NextShardIterator"]))
        return result

    return get_records


def reviewed_functions() -> dict[str, Callable[..., Any]]:
    """The moto functions these patches replace, wrap or rely on, by the name REVIEWED_SOURCES uses."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamRecord, StreamShard
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator

    return {
        "moto.dynamodb.models.table.StreamShard.get": StreamShard.get,
        "moto.dynamodb.models.table.StreamRecord.__init__": StreamRecord.__init__,
        "moto.dynamodb.models.DynamoDBBackend.update_item": DynamoDBBackend.update_item,
        "moto.dynamodbstreams.models.ShardIterator.__init__": ShardIterator.__init__,
        "moto.dynamodbstreams.models.ShardIterator.get": ShardIterator.get,
        "moto.dynamodbstreams.models.DynamoDBStreamsBackend.get_shard_iterator": (
            DynamoDBStreamsBackend.get_shard_iterator
        ),
        "moto.dynamodbstreams.models.DynamoDBStreamsBackend.get_records": DynamoDBStreamsBackend.get_records,
    }


def apply(lock: threading.RLock) -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    StreamShard.add = _recorded_add(StreamShard.add)  # type: ignore[method-assign]
    StreamShard.get = _locked_get(lock)  # type: ignore[method-assign]
    DynamoDBBackend.update_item = _one_record_per_update(DynamoDBBackend.update_item)  # type: ignore[method-assign]
    DynamoDBStreamsBackend.get_shard_iterator = _expiring_get_shard_iterator(  # type: ignore[method-assign]
        DynamoDBStreamsBackend.get_shard_iterator, lock
    )
    DynamoDBStreamsBackend.get_records = _expiring_get_records(  # type: ignore[method-assign]
        DynamoDBStreamsBackend.get_records, lock
    )
