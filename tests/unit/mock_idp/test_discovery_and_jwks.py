"""Discovery document and JWKS as a verifier (API Gateway's JWT authorizer, PyJWKClient) reads them."""

from __future__ import annotations

import base64
from collections.abc import Callable

import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from mock_idp.keys import thumbprint
from tests.unit.mock_idp.conftest import Issuer


def test_discovery_document_names_the_issuer_and_its_endpoints(idp: Issuer) -> None:
    response = requests.get(idp.url("/.well-known/openid-configuration"), timeout=5)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    doc = response.json()
    assert doc["issuer"] == idp.listen_url
    assert doc["jwks_uri"] == f"{idp.listen_url}/.well-known/jwks.json"
    assert doc["token_endpoint"] == f"{idp.listen_url}/oauth2/token"
    assert doc["grant_types_supported"] == ["client_credentials"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["scopes_supported"] == ["books:read", "books:write"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}


def test_discovery_issuer_is_the_configured_name_when_reached_under_another(
    start_issuer: Callable[..., Issuer],
) -> None:
    idp = start_issuer(issuer="http://mock-idp:4569")

    doc = requests.get(idp.url("/.well-known/openid-configuration"), timeout=5).json()

    assert doc["issuer"] == "http://mock-idp:4569"
    assert doc["jwks_uri"] == "http://mock-idp:4569/.well-known/jwks.json"
    assert doc["token_endpoint"] == "http://mock-idp:4569/oauth2/token"


def test_an_issuer_with_a_path_serves_its_endpoints_under_that_path(
    start_issuer: Callable[..., Issuer],
) -> None:
    idp = start_issuer(issuer="https://idp.example.test/realms/books")

    doc = requests.get(f"{idp.listen_url}/realms/books/.well-known/openid-configuration", timeout=5).json()
    at_root = requests.get(f"{idp.listen_url}/.well-known/openid-configuration", timeout=5)

    assert doc["issuer"] == "https://idp.example.test/realms/books"
    assert doc["jwks_uri"] == "https://idp.example.test/realms/books/.well-known/jwks.json"
    assert at_root.status_code == 404


def test_jwks_publishes_rsa_signing_keys_with_thumbprint_kids(idp: Issuer) -> None:
    response = requests.get(idp.url("/.well-known/jwks.json"), timeout=5)

    assert response.status_code == 200
    keys = response.json()["keys"]
    assert len(keys) == 1
    jwk = keys[0]
    assert {jwk["kty"], jwk["use"], jwk["alg"]} == {"RSA", "sig", "RS256"}
    public_key = RSAAlgorithm.from_jwk(jwk)
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert public_key.key_size == 2048
    assert jwk["kid"] == thumbprint(public_key) == idp.keys.current.kid
    assert "d" not in jwk and "p" not in jwk, "the JWKS must never carry private key parameters"
    # base64url without padding, as RFC 7518 6.3.1 requires.
    assert "=" not in jwk["n"] and base64.urlsafe_b64decode(jwk["n"] + "==")[0] != 0


def test_rfc7638_thumbprint_matches_the_rfc_example() -> None:
    # RFC 7638 section 3.1: this key's thumbprint is NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs.
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV"
        "4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7"
        "d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44"
        "-csFCur-kEgU8awapJzKnqDKgw"
    )
    public_key = RSAAlgorithm.from_jwk({"kty": "RSA", "n": n, "e": "AQAB"})
    assert isinstance(public_key, rsa.RSAPublicKey)

    assert thumbprint(public_key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
