"""API Gateway's own error responses for HTTP APIs, as exception classes that carry status and exact body."""

from __future__ import annotations

import json
from http import HTTPStatus


class GatewayError(Exception):
    """An error API Gateway answers itself, with body {"message": ...}, before or instead of the integration.

    `detail` is the emulator-side explanation: it feeds `$context.integrationErrorMessage` /
    `$context.authorizer.error` in access logs and the debug log, never the client's body.
    """

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR
    message: str = "Internal Server Error"

    def __init__(self, detail: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or self.message)
        self.detail = detail
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> bytes:
        return json.dumps({"message": self.message}, separators=(",", ":")).encode()


class NotFound(GatewayError):
    """No API for the Host, no stage, or no route matched (AWS: 404 {"message":"Not Found"})."""

    status = HTTPStatus.NOT_FOUND
    message = "Not Found"


class Unauthorized(GatewayError):
    """JWT missing or invalid; AWS explains why in the www-authenticate header."""

    status = HTTPStatus.UNAUTHORIZED
    message = "Unauthorized"


class Forbidden(GatewayError):
    """Valid JWT without any of the route's authorization scopes."""

    status = HTTPStatus.FORBIDDEN
    message = "Forbidden"


class PayloadTooLarge(GatewayError):
    """Request body above the HTTP API payload quota (10 MB)."""

    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    message = "Request Entity Too Large"


class TooManyRequests(GatewayError):
    """Stage or route throttling (token bucket) rejected the request."""

    status = HTTPStatus.TOO_MANY_REQUESTS
    message = "Too Many Requests"


class IntegrationError(GatewayError):
    """Lambda missing, not permitted, failed, or answered something API Gateway cannot map."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR
    message = "Internal Server Error"


class IntegrationTimeout(GatewayError):
    """The integration did not answer within TimeoutInMillis (HTTP APIs answer 503, not REST's 504)."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    message = "Service Unavailable"


class BadRequest(GatewayError):
    """A request aiohttp cannot parse (unknown method, bad request line or header, no Host)."""

    status = HTTPStatus.BAD_REQUEST
    message = "Bad Request"


class ControlPlaneUnavailable(GatewayError):
    """The control plane is unreachable: what the gateway would serve is unknown (an emulator choice)."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    message = "Service Unavailable"
