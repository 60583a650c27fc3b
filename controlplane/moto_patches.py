"""Patches that make moto a faithful control plane for our data plane: streams stay ours, writes stay put."""

from __future__ import annotations

import functools
import hashlib
import inspect
import threading
from collections.abc import Callable
from typing import Any

from controlplane import (
    apigatewayv2_patches,
    dynamodb_json_results,
    dynamodb_query,
    dynamodb_stream_reads,
    dynamodb_streams,
    dynamodb_table_patches,
    dynamodb_transactions,
    dynamodb_ttl,
    json_dispatch,
    not_implemented,
)

# Patches kept in their own modules, each with its REVIEWED_SOURCES, current_fingerprints() and install().
# json_dispatch before not_implemented: the 501 wrapper goes around the direct path too.
PATCH_MODULES = (
    apigatewayv2_patches,
    dynamodb_json_results,
    dynamodb_table_patches,
    json_dispatch,
    not_implemented,
)

# sha256 of the moto 5.2.5 source of each function we patch. If a moto upgrade changes one of them,
# the patch may no longer be right: apply() refuses to run until the patch is reviewed.
REVIEWED_SOURCES = {
    "moto.dynamodb.models.table.StreamShard.add": (
        "357dc6da267e5dd7d46e18ee25d14b232a98679677906a2f02e4d454d1f11e03"
    ),
    "moto.dynamodb.models.DynamoDBBackend.transact_write_items": (
        "81db2cb7d94e39c90b3a2077e1f4bb41a449c558ef9b1b1e2910fdaa39978ad4"
    ),
    "moto.dynamodb.models.table.StreamShard.get": (
        "fa7e9a0d7b438c2fbd4bcc8a04fecc79f70862760d1f176d3bc86775967e2d7e"
    ),
    "moto.dynamodb.models.table.StreamRecord.__init__": (
        "511904c6352cfd9a0dc7eb26ebbff6ad007d734698d7097b194f7f56a85482be"
    ),
    "moto.dynamodb.models.table.Table.put_item": (
        "de23933013ef842639046c19bcf7e418bce0474d810f6719368be4cedce11d47"
    ),
    "moto.dynamodb.models.table.Table.delete_item": (
        "1594f7b07616c8cb8cdf0fbf58d6f54eeac83f25d7ac7b14e832a08e10efd8f9"
    ),
    "moto.dynamodb.models.DynamoDBBackend.update_item": (
        "218984588dd689a5de81678ce11e6a40d05c91e7b6c21b44c4ed4122fe74aa9f"
    ),
    "moto.dynamodb.responses.DynamoHandler.transact_write_items": (
        "61c163fff213f33a39317a17fda194a9c1e800992421575d2080f4500bf45372"
    ),
    "moto.dynamodbstreams.models.ShardIterator.__init__": (
        "5842e50a95242ef84673613918b71c4a2a9c149d4baa10904b0c84034c4c793e"
    ),
    "moto.dynamodbstreams.models.ShardIterator.get": (
        "8932c0f7250e89963eef1e848bdd205a05c0f6ed94f526ed36ca9b7339442ace"
    ),
    "moto.dynamodbstreams.models.DynamoDBStreamsBackend.get_shard_iterator": (
        "a0be676df0bfc9ef0fdb546a45df0f1510de564d215dcafffbd144a8f04219ef"
    ),
    "moto.dynamodbstreams.models.DynamoDBStreamsBackend.get_records": (
        "db8c6cb04430c08f76be9e6b3cc9317387643b4fee26f43071c5ac22e25d2b64"
    ),
    "moto.dynamodb.models.table.Table.query": (
        "002b4d00be6df07cf37f6cbe0132e5eb89455ae12a8e79b23db3fb492450f21e"
    ),
    "moto.dynamodb.models.table.Table.all_items": (
        "c80d2ee3c896acd0cab6ca35aaeae3ab3fb65858933f8a3403d4e027c240f31d"
    ),
    "moto.dynamodb.models.DynamoDBBackend.query": (
        "b8f2b308cd13edb48bb59ab0321ec3f935605629acb1d1ed634ba9f2bbcb107e"
    ),
    "moto.dynamodb.models.DynamoDBBackend.scan": (
        "9b5227800f9a320c0ef714bc5105e1504f47773be265847590e965a878f2e108"
    ),
    "moto.dynamodbstreams.responses.DynamoDBStreamsHandler.get_records": (
        "eca5821a96bdd10d8ae32ccc432f7c7df424a484f388ab2a8ecb2e8c9a2026ce"
    ),
    # dynamodb_ttl: put_item returns the Item it stored; update_time_to_live sets table.ttl
    # {TimeToLiveStatus, AttributeName}, which Table.__init__ starts DISABLED.
    "moto.dynamodb.models.DynamoDBBackend.put_item": (
        "f5d9a5042c77b89e5f4c88b5884f7966b9dccd95b8b04090ee9e07afc5eea675"
    ),
    "moto.dynamodb.models.DynamoDBBackend.update_time_to_live": (
        "9da0deb00bb22c5e6d3b2d7fe9d48868e601adcc2a72c5f8a5706257a0e63b8c"
    ),
    "moto.dynamodb.models.table.Table.__init__": (
        "a56181a75aa270051d49daeb6a1f55b3eba543e6f58b4391e46d24a7cf8bbc74"
    ),
    **{name: digest for module in PATCH_MODULES for name, digest in module.REVIEWED_SOURCES.items()},
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
        **dynamodb_streams.reviewed_functions(),
        **dynamodb_transactions.reviewed_functions(),
        **dynamodb_query.reviewed_functions(),
        **dynamodb_stream_reads.reviewed_functions(),
        **dynamodb_ttl.reviewed_functions(),
    }


def changed_sources() -> dict[str, str]:
    """Patched functions whose source differs from the reviewed one, with their current hash."""
    found = {name: source_fingerprint(func) for name, func in _current_sources().items()}
    for module in PATCH_MODULES:
        found.update(module.current_fingerprints())
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
    dynamodb_streams.apply(_write_lock)
    dynamodb_transactions.apply(_write_lock)
    dynamodb_query.apply(_write_lock)
    dynamodb_stream_reads.apply()
    dynamodb_ttl.apply(_write_lock)  # before the lock wrappers, so indexing happens under the lock
    for name in _WRITE_METHODS:
        setattr(DynamoDBBackend, name, _locked(getattr(DynamoDBBackend, name)))
    for module in PATCH_MODULES:
        module.install()

    from controlplane import dispatch_patches  # per-request caches of moto's dispatch, separately reviewed

    dispatch_patches.apply()


def start_ttl_sweeper(interval: float) -> None:
    """Delete expired items every `interval` seconds, under the same write lock as every item write."""
    dynamodb_ttl.start_sweeper(_write_lock, interval)
