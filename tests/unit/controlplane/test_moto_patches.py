"""The moto patches apply only to the functions we reviewed, and fail loudly otherwise."""

from __future__ import annotations

import re

import pytest

from controlplane import moto_patches


def test_installed_moto_has_the_reviewed_sources() -> None:
    # If this fails after a moto upgrade, re-read each named function, update the patch and its hash.
    assert moto_patches.changed_sources() == {}


def test_apply_refuses_a_changed_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(moto_patches.REVIEWED_SOURCES, "moto.dynamodb.models.table.StreamShard.add", "0" * 64)
    with pytest.raises(RuntimeError, match=r"moto changed moto\.dynamodb\.models\.table\.StreamShard\.add"):
        moto_patches.apply()


@pytest.mark.parametrize("name", sorted(moto_patches.REVIEWED_SOURCES))
def test_apply_refuses_when_any_reviewed_function_changed(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setitem(moto_patches.REVIEWED_SOURCES, name, "0" * 64)
    with pytest.raises(RuntimeError, match=f"moto changed {re.escape(name)} "):
        moto_patches.apply()
