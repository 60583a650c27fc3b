import asyncio
import dataclasses
from typing import Any

import pytest

from emulator.lambdas.function_registry import (
    FunctionConfig,
    FunctionRegistry,
    boto3_fetcher,
    config_from_get_function,
    function_name,
)

GET_FUNCTION = {
    "Configuration": {
        "FunctionName": "local-books-query",
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:local-books-query",
        "Timeout": 7,
        "MemorySize": 256,
        "CodeSha256": "abc",
        "LastModified": "2024-01-01T00:00:00.000+0000",
        "Environment": {"Variables": {"READ_MODEL_TABLE": "rm"}},
        "ImageConfigResponse": {"ImageConfig": {"Command": ["books.entrypoints.query.handler"]}},
    },
    "Code": {
        "ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/local-books-query@sha256:" + "a" * 64,
        "ResolvedImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/local-books-query@sha256@sha256:zzz",
    },
}


@pytest.mark.parametrize(
    "reference",
    [
        "fn",
        "fn:$LATEST",
        "arn:aws:lambda:us-east-1:123456789012:function:fn",
        "arn:aws:lambda:us-east-1:123456789012:function:fn:live",
        "123456789012:function:fn",
    ],
)
def test_function_name_accepts_names_and_arns(reference: str) -> None:
    assert function_name(reference) == "fn"


def test_config_uses_image_uri_not_the_malformed_resolved_one() -> None:
    config = config_from_get_function(GET_FUNCTION)
    assert config.image_uri.endswith("@sha256:" + "a" * 64)
    assert config.handler == "books.entrypoints.query.handler"
    assert config.environment == {"READ_MODEL_TABLE": "rm"}
    assert (config.timeout, config.memory_size) == (7.0, 256)
    assert config.log_group == "/aws/lambda/local-books-query"


def _config(name: str, sha: str) -> FunctionConfig:
    return FunctionConfig(name=name, arn=f"arn:...:{name}", image_uri="x/y:1", handler="h.h", revision=(sha,))


def test_registry_caches_and_reports_changes_and_deletions() -> None:
    async def scenario() -> None:
        store = {"fn": _config("fn", "v1")}
        calls: list[str] = []
        changes: list[tuple[str, str | None]] = []
        registry = FunctionRegistry(lambda name: calls.append(name) or store.get(name), refresh_seconds=60)
        registry.on_change(
            lambda name, config: changes.append((name, config.revision[0] if config else None))
        )
        assert (await registry.get("fn")) is store["fn"]
        assert (await registry.get("arn:aws:lambda:us-east-1:1:function:fn")) is store["fn"]
        assert calls == ["fn"]  # the warm path never calls the control plane
        await registry.refresh_once()
        assert changes == []
        store["fn"] = _config("fn", "v2")
        await registry.refresh_once()
        assert changes == [("fn", "v2")]
        del store["fn"]
        await registry.refresh_once()
        assert changes[-1] == ("fn", None)
        assert registry.cached("fn") is None

    asyncio.run(scenario())


def test_unknown_function_is_none_and_not_cached() -> None:
    async def scenario() -> None:
        store: dict[str, FunctionConfig] = {}
        registry = FunctionRegistry(store.get, refresh_seconds=60)
        assert await registry.get("later") is None
        store["later"] = _config("later", "v1")
        assert await registry.get("later") is store["later"]

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("extra", "reserved"),
    [
        ({}, None),
        ({"Concurrency": {}}, None),
        ({"Concurrency": {"ReservedConcurrentExecutions": 0}}, 0),
        ({"Concurrency": {"ReservedConcurrentExecutions": 3}}, 3),
        ({"Concurrency": {"ReservedConcurrentExecutions": None}}, None),
    ],
    ids=["absent", "empty", "zero", "three", "null (moto's GetFunctionConcurrency)"],
)
def test_reserved_concurrency_is_read_from_get_function(extra: dict[str, Any], reserved: int | None) -> None:
    assert config_from_get_function({**GET_FUNCTION, **extra}).reserved_concurrency == reserved


class _LambdaClient:
    """GetFunction without Concurrency (as moto 5.2.5 answers for a reservation of 0) + GetFunctionConcurrency."""

    class exceptions:
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self, concurrency: dict[str, Any]) -> None:
        self.concurrency = concurrency
        self.calls: list[str] = []

    def get_function(self, FunctionName: str) -> dict[str, Any]:
        self.calls.append("get_function")
        return GET_FUNCTION

    def get_function_concurrency(self, FunctionName: str) -> dict[str, Any]:
        self.calls.append("get_function_concurrency")
        return self.concurrency


@pytest.mark.parametrize(
    ("concurrency", "reserved"),
    [({"ReservedConcurrentExecutions": 0}, 0), ({"ReservedConcurrentExecutions": None}, None), ({}, None)],
)
def test_fetch_asks_get_function_concurrency_when_get_function_is_silent(
    concurrency: dict[str, Any], reserved: int | None
) -> None:
    client = _LambdaClient(concurrency)
    config = boto3_fetcher(client)("local-books-query")

    assert config is not None and config.reserved_concurrency == reserved
    assert client.calls == ["get_function", "get_function_concurrency"]


def test_a_changed_reservation_is_served_without_reporting_a_change() -> None:
    async def scenario() -> None:
        store = {"fn": _config("fn", "v1")}
        changes: list[str] = []
        registry = FunctionRegistry(lambda name: store.get(name), refresh_seconds=60)
        registry.on_change(lambda name, config: changes.append(name))
        await registry.get("fn")
        store["fn"] = dataclasses.replace(store["fn"], reserved_concurrency=0)
        await registry.refresh_once()
        cached = registry.cached("fn")
        assert cached is not None and cached.reserved_concurrency == 0
        assert changes == []

    asyncio.run(scenario())
