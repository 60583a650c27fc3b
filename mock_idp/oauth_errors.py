"""RFC 6749 section 5.2 error responses of the token endpoint, with the status each one needs."""

from __future__ import annotations

import json

from aiohttp import web

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
BASIC_CHALLENGE = 'Basic realm="mock_idp", charset="UTF-8"'


class OAuthError(Exception):
    """A token request refused with an RFC 6749 error code."""

    code = "invalid_request"
    status = 400

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def response(self) -> web.Response:
        body = {"error": self.code, "error_description": self.description}
        return web.Response(
            status=self.status, text=json.dumps(body), content_type="application/json", headers=dict(NO_STORE)
        )


class InvalidRequest(OAuthError):
    code = "invalid_request"


class InvalidClient(OAuthError):
    """Client authentication failed: 401 + Basic challenge if the client used the Authorization header."""

    code = "invalid_client"

    def __init__(self, description: str, *, used_authorization_header: bool) -> None:
        super().__init__(description)
        self.used_authorization_header = used_authorization_header
        self.status = 401 if used_authorization_header else 400

    def response(self) -> web.Response:
        response = super().response()
        if self.used_authorization_header:
            response.headers["WWW-Authenticate"] = BASIC_CHALLENGE
        return response


class UnsupportedGrantType(OAuthError):
    code = "unsupported_grant_type"


class InvalidScope(OAuthError):
    code = "invalid_scope"
