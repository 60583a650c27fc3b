"""The container executor runs the ImageUri when Docker knows it, else the local image with that digest as ID."""

from __future__ import annotations

import asyncio

import pytest

from emulator.lambdas.executors import container_executor

URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/local-books-query@sha256:" + "a" * 64


def _known(*names: str):  # type: ignore[no-untyped-def]
    async def docker(*args: str) -> int:
        return 0 if args[:2] == ("image", "inspect") and args[2] in names else 1

    return docker


def test_a_pulled_or_pushed_image_runs_by_its_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(container_executor, "_docker", _known(URI))
    assert asyncio.run(container_executor.resolve_image(URI)) == URI


def test_a_locally_built_image_runs_by_its_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(container_executor, "_docker", _known("sha256:" + "a" * 64))
    assert asyncio.run(container_executor.resolve_image(URI)) == "sha256:" + "a" * 64


def test_an_unknown_image_fails_at_once_instead_of_pulling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(container_executor, "_docker", _known())
    with pytest.raises(RuntimeError, match="not in the local Docker engine"):
        asyncio.run(container_executor.resolve_image(URI))
