"""The moto patch applies only to the StreamShard.add we reviewed, and fails loudly otherwise."""

from __future__ import annotations

import pytest

from controlplane import moto_patches


def test_installed_moto_has_the_reviewed_stream_shard_add() -> None:
    # If this fails after a moto upgrade, re-read StreamShard.add and update the patch and its hash.
    assert moto_patches.stream_shard_add_fingerprint() == moto_patches.PATCHED_SOURCE_SHA256


def test_apply_refuses_a_changed_stream_shard_add(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_patches, "stream_shard_add_fingerprint", lambda: "0" * 64)
    with pytest.raises(RuntimeError, match=r"StreamShard\.add changed"):
        moto_patches.apply()
