"""A REST request's API operation and path parameters, read from botocore's service models.

REST protocols (Lambda, API Gateway v2) name the operation by method and path, not by a header or an
`Action` parameter. Matching the raw path against each operation's `requestUri` template, as the SDKs build
it, names every operation the models know without a hand-written table per service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

# The service models to search, per SigV4 signing name (API Gateway v1 and v2 both sign as apigateway).
MODELS = {"lambda": ("lambda",), "apigateway": ("apigatewayv2",)}


@dataclass(frozen=True)
class RestOperation:
    name: str
    params: dict[str, str]  # path parameters by the model's names (`-` as `_`), percent-decoded


@dataclass(frozen=True)
class _Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    literal: int  # characters of the template outside placeholders: the more, the more specific


def rest_operation(signing_name: str, method: str, raw_path: str) -> RestOperation | None:
    """The operation whose method and requestUri match; None when no model of `signing_name` has one."""
    path = raw_path.partition("?")[0]
    best: tuple[_Route, re.Match[str]] | None = None
    for route in _routes(signing_name):
        if route.method != method:
            continue
        match = route.pattern.fullmatch(path)
        if match and (best is None or route.literal > best[0].literal):
            best = (route, match)
    if best is None:
        return None
    route, match = best
    return RestOperation(route.name, {k: unquote(v) for k, v in match.groupdict().items()})


@lru_cache(maxsize=8)
def _routes(signing_name: str) -> tuple[_Route, ...]:
    from botocore.loaders import Loader

    loader = Loader()
    routes = []
    for model in MODELS.get(signing_name, ()):
        operations = loader.load_service_model(model, "service-2")["operations"]
        for name, spec in operations.items():
            template = spec["http"]["requestUri"].partition("?")[0]
            routes.append(
                _Route(name, spec["http"]["method"], _compile(template), len(_SLOT.sub("", template)))
            )
    return tuple(routes)


_SLOT = re.compile(r"\{([^}]+)\}")


def _compile(template: str) -> re.Pattern[str]:
    parts, last = [], 0
    for slot in _SLOT.finditer(template):
        parts.append(re.escape(template[last : slot.start()]))
        name = slot.group(1)
        group = re.sub(r"\W", "_", name.rstrip("+"))
        parts.append(f"(?P<{group}>.+)" if name.endswith("+") else f"(?P<{group}>[^/]+)")
        last = slot.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts) + "/?")
