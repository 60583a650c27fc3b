"""Parse step: API by Host, stage by path prefix, 10 MB body cap."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from emulator.apigw.api_registry import ApiRegistry
from emulator.apigw.context import RequestContext
from emulator.apigw.errors import NotFound, PayloadTooLarge
from emulator.apigw.model import Stage
from emulator.apigw.parse import ParseRequest, select_api
from emulator.config import Settings
from tests.unit.emulator.apigw.fakes import api, route, run, snapshot


def parse(method: str, path: str, *apis, headers: dict[str, str] | None = None) -> RequestContext:
    registry = ApiRegistry(Settings(), loader=lambda: snapshot(*apis))
    run(registry.refresh())
    request = make_mocked_request(method, path, headers=headers or {"Host": "127.0.0.1:4567"})
    ctx: RequestContext = {"request": request}
    run(ParseRequest(registry)(ctx))
    return ctx


def test_single_api_is_served_for_any_host() -> None:
    ctx = parse("GET", "/books?q=1", api(route("GET /books")), headers={"Host": "whatever:1"})
    assert ctx["api"].id == "abc123"
    assert ctx["raw_path"] == "/books"
    assert ctx["raw_query"] == "q=1"
    assert ctx["stage"].name == "$default"
    assert ctx["domain_name"] == "whatever"


def test_host_selects_among_several_apis() -> None:
    first, second = api(api_id="one111"), api(api_id="two222")
    ctx = parse("GET", "/", first, second, headers={"Host": "two222.execute-api.localhost:4567"})
    assert ctx["api"].id == "two222"
    assert ctx["domain_name"] == "two222.execute-api.localhost"


def test_several_apis_and_no_matching_host_is_404() -> None:
    with pytest.raises(NotFound):
        parse("GET", "/", api(api_id="one111"), api(api_id="two222"))


def test_no_api_deployed_is_404() -> None:
    with pytest.raises(NotFound):
        parse("GET", "/")


def test_select_api_ignores_unknown_execute_api_host() -> None:
    assert select_api({"abc123": api()}, "zzz.execute-api.localhost") is None


def test_named_stage_prefix_is_stripped_for_routing() -> None:
    stages = {"prod": Stage("prod"), "$default": Stage("$default")}
    ctx = parse("GET", "/prod/books", api(stages=stages))
    assert ctx["stage"].name == "prod"
    assert ctx["route_path"] == "/books"
    assert ctx["raw_path"] == "/prod/books"


def test_without_default_stage_unknown_prefix_is_404() -> None:
    with pytest.raises(NotFound):
        parse("GET", "/books", api(stages={"prod": Stage("prod")}))


def test_body_over_10_mb_is_413() -> None:
    with pytest.raises(PayloadTooLarge) as raised:
        parse("POST", "/books", api(), headers={"Host": "h", "Content-Length": str(10 * 1024 * 1024 + 1)})
    assert raised.value.status == 413
