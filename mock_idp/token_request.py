"""Check a client_credentials token request (RFC 6749 2.3.1, 3.3, 4.4): which client, which scopes."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

from mock_idp.config import Client, Settings, is_scope_token
from mock_idp.oauth_errors import InvalidClient, InvalidRequest, InvalidScope, UnsupportedGrantType

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
SINGLE_VALUED = ("grant_type", "scope", "client_id", "client_secret")


@dataclass(frozen=True)
class Grant:
    """What the token endpoint will issue."""

    client: Client
    scopes: tuple[str, ...]


def parse_form(content_type: str, body: bytes) -> dict[str, str]:
    """The form fields; a repeated or non-form parameter is an invalid_request."""
    if content_type.split(";")[0].strip().lower() != FORM_CONTENT_TYPE:
        raise InvalidRequest(f"the token request must be {FORM_CONTENT_TYPE}")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("the request body is not a valid form") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields and name in SINGLE_VALUED:
            raise InvalidRequest(f"parameter {name!r} is repeated")
        fields[name] = value
    return fields


def _basic_credentials(authorization: str) -> tuple[str, str]:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient(
            "only HTTP Basic client authentication is supported", used_authorization_header=True
        )
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("malformed Basic credentials", used_authorization_header=True) from None
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise InvalidClient("malformed Basic credentials", used_authorization_header=True)
    # RFC 6749 2.3.1: id and secret are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


def authenticate(settings: Settings, fields: dict[str, str], authorization: str | None) -> Client:
    """The client the credentials (Basic header or form fields, never both) belong to."""
    used_header = authorization is not None
    if authorization is not None:
        client_id, secret = _basic_credentials(authorization)
        if "client_secret" in fields or fields.get("client_id", client_id) != client_id:
            raise InvalidRequest("use one client authentication method, not both")
    elif "client_id" in fields and "client_secret" in fields:
        client_id, secret = fields["client_id"], fields["client_secret"]
    else:
        raise InvalidClient("client authentication is required", used_authorization_header=False)
    client = settings.client(client_id)
    # Constant-time comparison even here: habits from a mock end up in real code.
    if client is None or not hmac.compare_digest(client.client_secret.encode(), secret.encode()):
        raise InvalidClient("unknown client or wrong secret", used_authorization_header=used_header)
    return client


def granted_scopes(client: Client, requested: str | None) -> tuple[str, ...]:
    """The requested scopes if the client may have all of them; all its scopes when none are requested."""
    if requested is None:
        return client.scopes
    tokens = requested.split(" ")
    if not all(is_scope_token(token) for token in tokens):
        raise InvalidScope("scope must be space-separated scope tokens")
    not_allowed = [token for token in tokens if token not in client.scopes]
    if not_allowed:
        raise InvalidScope(f"client {client.client_id!r} may not request {' '.join(not_allowed)}")
    return tuple(dict.fromkeys(tokens))


def check_token_request(
    settings: Settings, content_type: str, body: bytes, authorization: str | None
) -> Grant:
    """Parse, authenticate and authorize one request; raises an OAuthError subclass on refusal."""
    fields = parse_form(content_type, body)
    if "grant_type" not in fields:
        raise InvalidRequest("grant_type is required")
    client = authenticate(settings, fields, authorization)
    if fields["grant_type"] != "client_credentials":
        raise UnsupportedGrantType(f"grant_type {fields['grant_type']!r} is not supported")
    return Grant(client, granted_scopes(client, fields.get("scope")))
