"""The client_credentials token endpoint: good tokens, and each RFC 6749 error with its status."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import jwt
import pytest
import requests

from tests.unit.mock_idp.conftest import Issuer

WRITER = ("local-writer", "local-writer-secret")
READER = ("local-reader", "local-reader-secret")
FORM = "application/x-www-form-urlencoded"


def post_token(
    idp: Issuer,
    data: dict[str, str] | str,
    *,
    auth: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    return requests.post(idp.url("/oauth2/token"), data=data, auth=auth, headers=headers, timeout=5)


def test_token_response_is_a_bearer_token_that_is_never_cached(idp: Issuer) -> None:
    response = post_token(idp, {"grant_type": "client_credentials", "scope": "books:write"}, auth=WRITER)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "books:write"
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}


def test_token_verifies_with_the_published_key_and_carries_every_claim(idp: Issuer) -> None:
    token = post_token(
        idp, {"grant_type": "client_credentials", "scope": "books:write books:read"}, auth=WRITER
    ).json()["access_token"]
    jwks = requests.get(idp.url("/.well-known/jwks.json"), timeout=5).json()
    header = jwt.get_unverified_header(token)
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]

    claims = jwt.decode(
        token,
        jwt.PyJWK(jwk).key,
        algorithms=["RS256"],
        audience="books-api",
        issuer=idp.issuer,
        options={"require": ["iss", "sub", "aud", "iat", "nbf", "exp", "jti"]},
    )

    assert header["alg"] == "RS256"
    assert claims["sub"] == claims["client_id"] == "local-writer"
    assert claims["scope"] == "books:write books:read"
    assert claims["nbf"] == claims["iat"] == int(idp.clock())
    assert claims["exp"] == claims["iat"] + 3600
    assert len(claims["jti"]) >= 16


def test_token_verifies_with_pyjwkclient_fetching_the_jwks_over_http(idp: Issuer) -> None:
    token = post_token(idp, {"grant_type": "client_credentials"}, auth=READER).json()["access_token"]
    jwks_uri = requests.get(idp.url("/.well-known/openid-configuration"), timeout=5).json()["jwks_uri"]

    signing_key = jwt.PyJWKClient(jwks_uri).get_signing_key_from_jwt(token)
    claims = jwt.decode(token, signing_key, algorithms=["RS256"], audience="books-api", issuer=idp.issuer)

    assert claims["client_id"] == "local-reader"


def test_iss_claim_equals_the_served_issuer_byte_for_byte(start_issuer: Callable[..., Issuer]) -> None:
    # A trailing slash is part of the identifier: it must survive unchanged into both places.
    idp = start_issuer(issuer="http://mock-idp.internal:4569/")
    served = requests.get(idp.url("/.well-known/openid-configuration"), timeout=5).content
    token = post_token(idp, {"grant_type": "client_credentials"}, auth=WRITER).json()["access_token"]

    served_issuer = json.loads(served)["issuer"]
    payload = jwt.decode(token, options={"verify_signature": False})

    assert served_issuer.encode() == payload["iss"].encode() == b"http://mock-idp.internal:4569/"


def test_form_client_authentication_is_accepted(idp: Issuer) -> None:
    response = post_token(
        idp, {"grant_type": "client_credentials", "client_id": READER[0], "client_secret": READER[1]}
    )

    assert response.status_code == 200
    assert response.json()["scope"] == "books:read"


def test_without_scope_the_client_gets_all_its_scopes(idp: Issuer) -> None:
    response = post_token(idp, {"grant_type": "client_credentials"}, auth=WRITER)

    assert response.json()["scope"] == "books:write books:read"


def test_basic_credentials_are_form_urldecoded(start_issuer: Callable[..., Issuer]) -> None:
    from mock_idp.config import Client

    idp = start_issuer(clients=(Client("odd:client", "p@ss word", ("books:read",)),))
    encoded = base64.b64encode(b"odd%3Aclient:p%40ss+word").decode()

    response = post_token(
        idp, {"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {encoded}"}
    )

    assert response.status_code == 200


def test_configured_lifetime_and_audience_reach_the_token(start_issuer: Callable[..., Issuer]) -> None:
    idp = start_issuer(audience="other-api", token_lifetime_seconds=120)

    body = post_token(idp, {"grant_type": "client_credentials"}, auth=WRITER).json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})

    assert body["expires_in"] == 120
    assert claims["aud"] == "other-api"
    assert claims["exp"] - claims["iat"] == 120


ERROR_CASES = [
    # name, form, basic auth, extra headers, status, error, challenged
    (
        "wrong secret by basic",
        {"grant_type": "client_credentials"},
        ("local-writer", "nope"),
        None,
        401,
        "invalid_client",
        True,
    ),
    (
        "unknown client by basic",
        {"grant_type": "client_credentials"},
        ("nobody", "x"),
        None,
        401,
        "invalid_client",
        True,
    ),
    (
        "wrong secret by form",
        {"grant_type": "client_credentials", "client_id": "local-writer", "client_secret": "nope"},
        None,
        None,
        400,
        "invalid_client",
        False,
    ),
    (
        "no client authentication",
        {"grant_type": "client_credentials"},
        None,
        None,
        400,
        "invalid_client",
        False,
    ),
    (
        "non-basic authorization scheme",
        {"grant_type": "client_credentials"},
        None,
        {"Authorization": "Bearer abc"},
        401,
        "invalid_client",
        True,
    ),
    (
        "malformed basic credentials",
        {"grant_type": "client_credentials"},
        None,
        {"Authorization": "Basic !!!"},
        401,
        "invalid_client",
        True,
    ),
    (
        "scope the client may not have",
        {"grant_type": "client_credentials", "scope": "books:write"},
        READER,
        None,
        400,
        "invalid_scope",
        False,
    ),
    (
        "unknown scope",
        {"grant_type": "client_credentials", "scope": "books:read admin"},
        READER,
        None,
        400,
        "invalid_scope",
        False,
    ),
    (
        "empty scope",
        {"grant_type": "client_credentials", "scope": ""},
        READER,
        None,
        400,
        "invalid_scope",
        False,
    ),
    (
        "password grant",
        {"grant_type": "password", "username": "u", "password": "p"},
        WRITER,
        None,
        400,
        "unsupported_grant_type",
        False,
    ),
    (
        "authorization_code grant",
        {"grant_type": "authorization_code", "code": "x"},
        WRITER,
        None,
        400,
        "unsupported_grant_type",
        False,
    ),
    ("missing grant_type", {"scope": "books:read"}, WRITER, None, 400, "invalid_request", False),
    (
        "repeated grant_type",
        "grant_type=client_credentials&grant_type=client_credentials",
        WRITER,
        {"Content-Type": FORM},
        400,
        "invalid_request",
        False,
    ),
    (
        "both basic and form secret",
        {"grant_type": "client_credentials", "client_id": WRITER[0], "client_secret": WRITER[1]},
        WRITER,
        None,
        400,
        "invalid_request",
        False,
    ),
    (
        "json body",
        '{"grant_type": "client_credentials"}',
        WRITER,
        {"Content-Type": "application/json"},
        400,
        "invalid_request",
        False,
    ),
]


@pytest.mark.parametrize(
    ("form", "auth", "headers", "status", "error", "challenged"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_refused_token_requests_get_the_rfc6749_error_and_status(
    idp: Issuer,
    form: dict[str, str] | str,
    auth: tuple[str, str] | None,
    headers: dict[str, str] | None,
    status: int,
    error: str,
    challenged: bool,
) -> None:
    response = post_token(idp, form, auth=auth, headers=headers)

    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.headers["Cache-Control"] == "no-store"
    if challenged:
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
    else:
        assert "WWW-Authenticate" not in response.headers


def test_get_on_the_token_endpoint_is_not_allowed(idp: Issuer) -> None:
    response = requests.get(idp.url("/oauth2/token"), timeout=5)

    assert response.status_code == 405
