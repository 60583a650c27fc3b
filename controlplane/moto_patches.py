"""Patches that make moto a faithful control plane for our data plane: streams stay ours, writes stay put."""

from __future__ import annotations

import functools
import hashlib
import inspect
import threading
from collections.abc import Callable
from typing import Any

# sha256 of the moto 5.2.5 source of each function we patch. If a moto upgrade changes one of them,
# the patch may no longer be right: apply() refuses to run until the patch is reviewed.
REVIEWED_SOURCES = {
    "moto.dynamodb.models.table.StreamShard.add": (
        "357dc6da267e5dd7d46e18ee25d14b232a98679677906a2f02e4d454d1f11e03"
    ),
    "moto.dynamodb.models.DynamoDBBackend.transact_write_items": (
        "81db2cb7d94e39c90b3a2077e1f4bb41a449c558ef9b1b1e2910fdaa39978ad4"
    ),
}

# Item writes that must not interleave with a transaction (moto serves requests on many threads).
_WRITE_METHODS = ("put_item", "delete_item", "update_item", "transact_write_items")
_write_lock = threading.RLock()


def source_fingerprint(func: Callable[..., Any]) -> str:
    return hashlib.sha256(inspect.getsource(func).encode()).hexdigest()


def _current_sources() -> dict[str, Callable[..., Any]]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard

    return {
        "moto.dynamodb.models.table.StreamShard.add": StreamShard.add,
        "moto.dynamodb.models.DynamoDBBackend.transact_write_items": DynamoDBBackend.transact_write_items,
    }


def changed_sources() -> dict[str, str]:
    """Patched functions whose source differs from the reviewed one, with their current hash."""
    found = {name: source_fingerprint(func) for name, func in _current_sources().items()}
    return {name: digest for name, digest in found.items() if digest != REVIEWED_SOURCES[name]}


def _add_without_lambda(self: Any, old: Any, new: Any) -> None:
    """Record the change on the shard; never invoke mapped functions nor clear the shard."""
    from moto.dynamodb.models.table import StreamRecord

    view_type = self.table.stream_specification["StreamViewType"]
    if old is None:
        event_name = "INSERT"
    elif new is None:
        event_name = "REMOVE"
    else:
        event_name = "MODIFY"
    seq = len(self.items) + self.starting_sequence_number
    self.items.append(StreamRecord(self.table, view_type, event_name, old, new, seq))


def _transact_keeping_live_tables(original: Callable[..., Any]) -> Callable[..., Any]:
    """Run moto's transaction, but roll back into the live Table and StreamShard objects.

    moto deep-copies each table before a transaction and, when it is cancelled, puts the *copies* in
    place. Stream iterators handed out earlier keep pointing at the old shard (a poller then sees no
    new records), and a write that landed between copy and rollback is lost. Under the write lock no
    write can land in between, and restoring into the live objects keeps every iterator valid.
    """

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        names = {
            op.get("TableName") for item in transact_items for op in item.values() if isinstance(op, dict)
        }
        live = {name: self.tables[name] for name in names if name in self.tables}
        shard_sizes = {
            name: len(t.stream_shard.items) for name, t in live.items() if t.stream_shard is not None
        }
        try:
            original(self, transact_items)
        finally:
            for name, table in live.items():
                restored = self.tables.get(name)
                if restored is None or restored is table:
                    continue
                shard = table.stream_shard
                table.__dict__.update({k: v for k, v in restored.__dict__.items() if k != "stream_shard"})
                if shard is not None and name in shard_sizes:
                    del shard.items[shard_sizes[name] :]  # a cancelled transaction leaves no stream records
                self.tables[name] = table

    return transact_write_items


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _write_lock:
            return method(*args, **kwargs)

    return locked


def apply() -> None:
    """Install the patches; refuse to run on a moto whose patched functions we have not reviewed."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard

    changed = changed_sources()
    if changed:
        details = ", ".join(f"{name} (sha256 {digest})" for name, digest in changed.items())
        raise RuntimeError(
            f"moto changed {details}; review controlplane/moto_patches.py before upgrading moto"
        )
    StreamShard.add = _add_without_lambda  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _transact_keeping_live_tables(  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items
    )
    for name in _WRITE_METHODS:
        setattr(DynamoDBBackend, name, _locked(getattr(DynamoDBBackend, name)))

    from controlplane import dispatch_patches  # per-request caches of moto's dispatch, separately reviewed

    dispatch_patches.apply()
