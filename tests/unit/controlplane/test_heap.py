"""A full collection freezes its survivors; freed objects are still freed; install() registers once."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from controlplane import heap


class _Item:
    pass


@pytest.fixture
def installed() -> Iterator[None]:
    heap.install()
    heap.install()
    yield
    gc.callbacks.remove(heap._freeze_after_full_collection)
    gc.unfreeze()


def test_install_registers_the_callback_once(installed: None) -> None:
    assert gc.callbacks.count(heap._freeze_after_full_collection) == 1


# (generation collected, survivors frozen afterwards)
CASES = [(0, False), (1, False), (2, True)]


@pytest.mark.parametrize(("generation", "frozen"), CASES)
def test_only_a_full_collection_freezes(installed: None, generation: int, frozen: bool) -> None:
    gc.unfreeze()
    gc.collect(generation)
    assert (gc.get_freeze_count() > 0) is frozen


def test_a_frozen_object_is_still_freed_when_no_longer_used(installed: None) -> None:
    item = _Item()
    gone = weakref.ref(item)
    gc.collect()
    assert gc.get_freeze_count() > 0 and gone() is item
    del item
    assert gone() is None  # reference counting, not the collector
