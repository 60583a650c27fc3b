"""API Gateway HTTP API payload 2.0: request wrapper, routing, JSON and problem+json responses."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Generic, TypeVar

from books.domain.errors import BooksError, FieldError
from books.entrypoints import json_guard

logger = logging.getLogger("books.http")

PROBLEM_TYPE_BASE = "urn:books-cqrs:problem:"
Deps = TypeVar("Deps")
Response = dict[str, Any]


class UnsupportedMediaType(BooksError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    slug = "unsupported-media-type"
    title = "The request body must be JSON"


class MalformedRequest(BooksError):
    status = HTTPStatus.BAD_REQUEST
    slug = "malformed-request"
    title = "The request cannot be read"


class Unauthenticated(BooksError):
    status = HTTPStatus.UNAUTHORIZED
    slug = "unauthenticated"
    title = "The request carries no authenticated caller"


class RouteNotFound(BooksError):
    status = HTTPStatus.NOT_FOUND
    slug = "route-not-found"
    title = "No such route"


class MethodNotAllowed(BooksError):
    status = HTTPStatus.METHOD_NOT_ALLOWED
    slug = "method-not-allowed"
    title = "Method not allowed on this path"


@dataclass(frozen=True)
class Request:
    """The parts of a payload 2.0 event a view needs, with header names lower-cased."""

    route_key: str
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    claims: dict[str, Any]

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def caller(self) -> str:
        """The JWT `sub` the HTTP API's authorizer verified."""
        sub = self.claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthenticated("no JWT subject in requestContext.authorizer.jwt.claims")
        return sub

    def json_object(self, media_types: tuple[str, ...]) -> dict[str, Any]:
        """The body as a JSON object; 415 for another Content-Type, 400 for anything but an object."""
        content_type = (self.header("content-type") or "").split(";")[0].strip().lower()
        if content_type not in media_types:
            raise UnsupportedMediaType(f"Content-Type must be one of: {', '.join(media_types)}")
        try:
            data = json.loads(self.body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedRequest(f"the body is not valid JSON: {exc}") from exc
        except RecursionError as exc:
            # The parser recurses per level; far past MAX_JSON_DEPTH, so say the same thing.
            raise MalformedRequest(f"the body nests deeper than {json_guard.MAX_JSON_DEPTH} levels") from exc
        try:
            json_guard.check_body(data)
        except json_guard.BodyRejected as exc:
            raise MalformedRequest(exc.detail, exc.errors) from exc
        if not isinstance(data, dict):
            raise MalformedRequest("the body must be a JSON object")
        return data


def parse_request(event: Mapping[str, Any], route_key: str, path_params: dict[str, str]) -> Request:
    raw_body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw_body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedRequest("the body is not valid base64") from exc
    else:
        # surrogatepass: a lone surrogate then fails as bad UTF-8 (400) instead of here (500).
        body = raw_body.encode("utf-8", "surrogatepass")
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return Request(
        route_key=route_key,
        path_params=path_params,
        query=dict(event.get("queryStringParameters") or {}),
        headers={k.lower(): v for k, v in (event.get("headers") or {}).items()},
        body=body,
        claims=dict((authorizer.get("jwt") or {}).get("claims") or {}),
    )


def json_response(status: HTTPStatus, body: Any, headers: dict[str, str] | None = None) -> Response:
    return {
        "statusCode": int(status),
        "headers": {"content-type": "application/json", **(headers or {})},
        "body": json.dumps(body, ensure_ascii=False),
        "isBase64Encoded": False,
    }


def empty_response(status: HTTPStatus, headers: dict[str, str] | None = None) -> Response:
    return {"statusCode": int(status), "headers": headers or {}, "body": "", "isBase64Encoded": False}


def problem_response(
    status: HTTPStatus, slug: str, title: str, detail: str, errors: tuple[FieldError, ...] = ()
) -> Response:
    """An RFC 9457 problem document; field-level errors go in `errors`."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": int(status),
        "detail": detail,
    }
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return {
        "statusCode": int(status),
        "headers": {"content-type": "application/problem+json"},
        "body": json.dumps(body, ensure_ascii=False),
        "isBase64Encoded": False,
    }


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(request: Request) -> int | None:
    """The version named by If-Match; None when absent or `*`. An unusable value can never match: -1."""
    raw = request.header("if-match")
    if raw is None or raw.strip() == "*":
        return None
    match = re.fullmatch(r'\s*"(\d{1,18})"\s*', raw)
    return int(match.group(1)) if match else -1


View = Callable[[Request, Deps], Response]


class HttpApp(Generic[Deps]):
    """Routes payload 2.0 events to views by route key, renders errors and logs one line per request."""

    def __init__(self, routes: dict[str, View[Deps]], deps: Callable[[], Deps]) -> None:
        self.routes = routes
        self._deps = deps
        self._patterns = [(key, *_compile(key)) for key in routes]

    def handle(self, event: Mapping[str, Any], context: Any) -> Response:
        started = time.perf_counter()
        route = str(event.get("routeKey") or "")
        exc_info = None
        try:
            route, params = self._resolve(event)
            response = self.routes[route](parse_request(event, route, params), self._deps())
        except BooksError as exc:
            response = problem_response(exc.status, exc.slug, exc.title, exc.detail, exc.errors)
        except Exception as exc:
            # Unexpected: the caller gets a bare 500; the stack trace goes to the log line only.
            exc_info = exc
            response = problem_response(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "internal-error",
                "Internal error",
                "the request could not be completed",
            )
        logger.log(
            logging.ERROR if exc_info else logging.INFO,
            "request",
            extra={
                "aws_request_id": getattr(context, "aws_request_id", None),
                "api_request_id": (event.get("requestContext") or {}).get("requestId"),
                "route": route,
                "status": response["statusCode"],
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
            exc_info=exc_info,
        )
        return response

    def _resolve(self, event: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        route_key = str(event.get("routeKey") or "")
        if route_key in self.routes:
            return route_key, dict(event.get("pathParameters") or {})
        # Behind a $default or proxy route: match the raw path ourselves.
        http = (event.get("requestContext") or {}).get("http") or {}
        method, path = (
            str(http.get("method", "")).upper(),
            str(event.get("rawPath") or http.get("path") or ""),
        )
        allowed = []
        for key, key_method, pattern in self._patterns:
            found = pattern.fullmatch(path)
            if found and key_method == method:
                return key, found.groupdict()
            if found:
                allowed.append(key_method)
        if allowed:
            raise MethodNotAllowed(
                f"{method} is not allowed on {path}; allowed: {', '.join(sorted(allowed))}"
            )
        raise RouteNotFound(f"no route for {method} {path}")


def _compile(route_key: str) -> tuple[str, re.Pattern[str]]:
    method, path = route_key.split(" ", 1)
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return method, re.compile(regex)
