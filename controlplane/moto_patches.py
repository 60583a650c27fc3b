"""Keeps moto's event source mappings as configuration only, so the emulator owns stream delivery."""

from __future__ import annotations

import hashlib
import inspect
from typing import Any

# sha256 of the source of moto.dynamodb.models.table.StreamShard.add in moto 5.2.5.
# If a moto upgrade changes that function, the patch below may no longer be right: fail loudly.
PATCHED_SOURCE_SHA256 = "357dc6da267e5dd7d46e18ee25d14b232a98679677906a2f02e4d454d1f11e03"


def stream_shard_add_source() -> str:
    from moto.dynamodb.models.table import StreamShard

    return inspect.getsource(StreamShard.add)


def stream_shard_add_fingerprint() -> str:
    return hashlib.sha256(stream_shard_add_source().encode()).hexdigest()


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


def apply() -> None:
    """Install the patch; refuse to run on a moto whose StreamShard.add we have not reviewed."""
    from moto.dynamodb.models.table import StreamShard

    found = stream_shard_add_fingerprint()
    if found != PATCHED_SOURCE_SHA256:
        raise RuntimeError(
            "moto's StreamShard.add changed (sha256 "
            f"{found}); review controlplane/moto_patches.py before upgrading moto"
        )
    StreamShard.add = _add_without_lambda  # type: ignore[method-assign]
