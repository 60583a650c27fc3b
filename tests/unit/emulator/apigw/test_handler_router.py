"""Route step: AWS's most-specific-match rules for HTTP APIs."""

from __future__ import annotations

import pytest

from emulator.apigw.errors import NotFound
from emulator.apigw.router import RouteRequest, RouteTable
from tests.unit.emulator.apigw.fakes import api, context, route, run

# The example in AWS's "Routing API requests" section, plus a few neighbours.
AWS_EXAMPLE = RouteTable(
    [
        route("GET /pets/dog/{id}"),
        route("GET /pets/{proxy+}"),
        route("ANY /{proxy+}"),
        route("$default"),
    ]
)


def key(table: RouteTable, method: str, path: str) -> str | None:
    found = table.match(method, path)
    return found[0].route_key if found else None


def test_full_match_with_path_variable_wins_over_greedy() -> None:
    assert AWS_EXAMPLE.match("GET", "/pets/dog/1") == (AWS_EXAMPLE.routes[0], {"id": "1"})


def test_greedy_route_with_method_catches_unmatched_child_paths() -> None:
    assert AWS_EXAMPLE.match("GET", "/pets/cat/1") == (AWS_EXAMPLE.routes[1], {"proxy": "cat/1"})


def test_any_greedy_beats_default_for_other_methods() -> None:
    assert key(AWS_EXAMPLE, "POST", "/test/5") == "ANY /{proxy+}"


def test_default_route_catches_what_nothing_else_matches() -> None:
    table = RouteTable([route("GET /books"), route("$default")])
    assert key(table, "DELETE", "/books") == "$default"
    assert key(table, "GET", "/other") == "$default"


def test_literal_path_beats_path_variable() -> None:
    table = RouteTable([route("GET /books/{id}"), route("GET /books/search")])
    assert table.match("GET", "/books/search") == (table.routes[1], {})
    assert key(table, "GET", "/books/42") == "GET /books/{id}"


def test_literal_segment_left_of_variable_ranks_first() -> None:
    table = RouteTable([route("GET /{a}/dog/{b}"), route("GET /pets/{kind}/{b}")])
    assert key(table, "GET", "/pets/dog/1") == "GET /pets/{kind}/{b}"


def test_own_method_beats_any_on_the_same_path() -> None:
    table = RouteTable([route("ANY /books"), route("GET /books")])
    assert key(table, "GET", "/books") == "GET /books"
    assert key(table, "PUT", "/books") == "ANY /books"


def test_longer_greedy_prefix_wins() -> None:
    table = RouteTable([route("GET /{proxy+}"), route("GET /books/{proxy+}")])
    assert key(table, "GET", "/books/a/b") == "GET /books/{proxy+}"


def test_greedy_variable_needs_at_least_one_segment() -> None:
    table = RouteTable([route("GET /books/{proxy+}")])
    assert table.match("GET", "/books") is None
    assert table.match("GET", "/books/") is None


def test_path_variables_do_not_match_empty_segments_or_extra_depth() -> None:
    table = RouteTable([route("GET /books/{id}")])
    assert table.match("GET", "/books/") is None
    assert table.match("GET", "/books/1/2") is None


def test_path_parameters_are_url_decoded() -> None:
    table = RouteTable([route("GET /books/{id}")])
    assert table.match("GET", "/books/a%20b") == (table.routes[0], {"id": "a b"})


def test_method_mismatch_without_default_is_no_match() -> None:
    assert RouteTable([route("GET /books")]).match("POST", "/books") is None


def test_step_sets_route_and_parameters() -> None:
    ctx = context("GET", "/books/9", the_api=api(route("GET /books/{id}")))
    run(RouteRequest()(ctx))
    assert ctx["route"].route_key == "GET /books/{id}"
    assert ctx["path_parameters"] == {"id": "9"}


def test_step_without_match_is_404_not_found() -> None:
    ctx = context("GET", "/nothing", the_api=api(route("GET /books")))
    with pytest.raises(NotFound) as raised:
        run(RouteRequest()(ctx))
    assert raised.value.status == 404
    assert raised.value.body() == b'{"message":"Not Found"}'
