"""Query on a table's key reads one partition, not the whole table; reads never race a writer's dict."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any


class _Partition:
    """The table as `Table.query` sees it, with `all_items()` narrowed to one partition key's items.

    moto 5.2.5's base-table query builds its candidates from `self.all_items()`, which lists and sorts
    every item of the table, then keeps those whose hash key matches: O(table) per Query. DynamoDB
    reads one partition. Everything else is the real table's.
    """

    def __init__(self, table: Any, hash_key: Any) -> None:
        self._table = table
        self._hash_key = hash_key

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def all_items(self) -> list[Any]:
        partition = self._table.items.get(self._hash_key)
        if partition is None:
            return []
        if not self._table.range_key_attr:
            return [partition]
        return sorted(partition.values(), key=lambda item: item.range_key)


def _one_partition(query: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(query)
    def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name") if len(args) < 7 else args[6]
        if index_name or hash_key is None:
            return query(self, hash_key, *args, **kwargs)  # an index query still scans: moto keeps no index
        return query(_Partition(self, hash_key), hash_key, *args, **kwargs)

    return partition_query


def _locked(method: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with lock:  # moto iterates its item dicts; a write on another thread would change them mid-read
            return method(*args, **kwargs)

    return locked


# Backend reads that iterate a table's items (moto raised "dictionary changed size during iteration").
READ_METHODS = ("query", "scan")


def reviewed_functions() -> dict[str, Callable[..., Any]]:
    """The moto functions this module relies on, by the name REVIEWED_SOURCES uses."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    return {
        "moto.dynamodb.models.table.Table.query": Table.query,
        "moto.dynamodb.models.table.Table.all_items": Table.all_items,
        "moto.dynamodb.models.DynamoDBBackend.query": DynamoDBBackend.query,
        "moto.dynamodb.models.DynamoDBBackend.scan": DynamoDBBackend.scan,
    }


def apply(lock: threading.RLock) -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    Table.query = _one_partition(Table.query)  # type: ignore[method-assign]
    for name in READ_METHODS:
        setattr(DynamoDBBackend, name, _locked(getattr(DynamoDBBackend, name), lock))
