"""The moto patches apply only to the functions we reviewed, and fail loudly otherwise."""

from __future__ import annotations

import pytest

from controlplane import moto_patches


def test_installed_moto_has_the_reviewed_sources() -> None:
    # If this fails after a moto upgrade, re-read each named function, update the patch and its hash.
    assert moto_patches.changed_sources() == {}


def test_apply_refuses_a_changed_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(moto_patches.REVIEWED_SOURCES, "moto.dynamodb.models.table.StreamShard.add", "0" * 64)
    with pytest.raises(RuntimeError, match=r"moto changed moto\.dynamodb\.models\.table\.StreamShard\.add"):
        moto_patches.apply()
