"""Route step: pick the most specific route for (method, path) by API Gateway's HTTP API rules.

AWS ("Routing API requests", http-api-develop-routes): the most specific match wins — a full match for
route and method, then a route with a greedy path variable ({proxy+}), then `$default`; no match is 404.
Within each tier this module ranks literal segments above {param} segments (left to right), longer greedy
prefixes above shorter ones, and a route's own method above `ANY` for the same path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from emulator.apigw.context import RequestContext
from emulator.apigw.errors import NotFound
from emulator.apigw.model import DEFAULT_ROUTE_KEY, Route

_PARAM = re.compile(r"^\{([A-Za-z0-9._\-]+)\}$")
_GREEDY = re.compile(r"^\{([A-Za-z0-9._\-]+)\+\}$")

# Tiers, best first.
_LITERAL, _PARAMS, _GREEDY_TIER = 0, 1, 2


def split_route_key(route_key: str) -> tuple[str, str]:
    """'GET /books/{id}' -> ('GET', '/books/{id}'); '$default' -> ('', '')."""
    if route_key == DEFAULT_ROUTE_KEY:
        return "", ""
    method, _, path = route_key.strip().partition(" ")
    return method.upper(), path.strip()


@dataclass(frozen=True)
class _Compiled:
    route: Route
    sort_key: tuple[object, ...]
    # One entry per segment: literal text, or None for a {param}; names hold the param names.
    segments: tuple[str | None, ...]
    names: tuple[str, ...]
    greedy: str  # greedy variable name, "" when none

    def match(self, segments: list[str]) -> dict[str, str] | None:
        fixed = len(self.segments)
        if self.greedy:
            if len(segments) <= fixed or not any(segments[fixed:]):
                return None
        elif len(segments) != fixed:
            return None
        params: dict[str, str] = {}
        names = iter(self.names)
        for want, got in zip(self.segments, segments, strict=False):
            if want is None:
                if not got:
                    return None
                params[next(names)] = got
            elif want != got:
                return None
        if self.greedy:
            params[self.greedy] = "/".join(segments[fixed:])
        return params


class RouteTable:
    """Routes of one API, compiled once per snapshot so matching does no parsing."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._literal: dict[tuple[str, str], Route] = {}
        compiled: list[_Compiled] = []
        self.default: Route | None = None
        self.routes: tuple[Route, ...] = tuple(routes)
        for route in self.routes:
            if route.route_key == DEFAULT_ROUTE_KEY:
                self.default = route
                continue
            item = _compile(route)
            if item is None:
                continue
            if item.sort_key[0] == _LITERAL:
                self._literal[(route.method, route.path)] = route
            else:
                compiled.append(item)
        self._templated = sorted(compiled, key=lambda c: c.sort_key)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The best route for the request and its (URL-decoded) path parameters, or None."""
        decoded = unquote(path)
        route = self._literal.get((method, decoded)) or self._literal.get(("ANY", decoded))
        if route is not None:
            return route, {}
        if self._templated:
            segments = [unquote(part) for part in path.split("/")[1:]]
            for item in self._templated:
                if item.route.method != method and item.route.method != "ANY":
                    continue
                params = item.match(segments)
                if params is not None:
                    return item.route, params
        if self.default is not None:
            return self.default, {}
        return None


def _compile(route: Route) -> _Compiled | None:
    if not route.path.startswith("/"):
        return None
    raw = route.path.split("/")[1:]
    segments: list[str | None] = []
    names: list[str] = []
    ranks: list[int] = []
    greedy = ""
    for index, part in enumerate(raw):
        if (found := _GREEDY.match(part)) is not None:
            if index != len(raw) - 1:
                return None  # AWS rejects a greedy variable that is not last; never match it
            greedy = found.group(1)
        elif (found := _PARAM.match(part)) is not None:
            segments.append(None)
            names.append(found.group(1))
            ranks.append(1)
        else:
            segments.append(part)
            ranks.append(0)
    method_rank = 1 if route.method == "ANY" else 0
    if greedy:
        sort_key: tuple[object, ...] = (_GREEDY_TIER, -len(segments), tuple(ranks), method_rank)
    elif names:
        sort_key = (_PARAMS, tuple(ranks), method_rank)
    else:
        sort_key = (_LITERAL, (), method_rank)
    return _Compiled(route, sort_key, tuple(segments), tuple(names), greedy)


class RouteRequest:
    """Pipeline step: sets ctx["route"] and ctx["path_parameters"], or raises 404."""

    async def __call__(self, ctx: RequestContext) -> None:
        found = ctx["api"].routes.match(ctx["method"], ctx["route_path"])
        if found is None:
            raise NotFound(f"no route matches {ctx['method']} {ctx['route_path']}")
        ctx["route"], ctx["path_parameters"] = found
