"""Fixtures for the Lambda runtime unit tests."""

from __future__ import annotations

import pytest

from tests.unit.emulator.lambdas.fakes import FakeExecutor, FakeLogSink


@pytest.fixture(autouse=True)
def _reset_instances() -> None:
    FakeExecutor.instances.clear()


@pytest.fixture
def sink() -> FakeLogSink:
    return FakeLogSink()
