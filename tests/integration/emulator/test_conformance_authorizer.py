"""JWT authorizer conformance: AWS's 401/403 rules, Bearer handling, key rotation and an unreachable issuer."""

from __future__ import annotations

import jwt
import pytest
import requests

from mock_idp.bad_tokens import UNAUTHORIZED_CASES
from tests.integration.emulator.conftest import READER, Emulator, IdpProcess
from tests.support.waits import wait_for


def assert_unauthorized(response: requests.Response, emulator: Emulator) -> None:
    assert response.status_code == 401, f"{response.status_code} {response.text}\n{emulator.log_tail()}"
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_request_without_a_token_is_401_with_www_authenticate(emulator: Emulator) -> None:
    response = emulator.request("GET", "/private")

    assert_unauthorized(response, emulator)


def test_token_is_accepted_with_the_bearer_prefix(emulator: Emulator, idp: IdpProcess) -> None:
    response = emulator.request("GET", "/private", headers={"Authorization": f"Bearer {idp.token()}"})

    assert response.status_code == 200, response.text
    assert response.json()["routeKey"] == "GET /private"


def test_token_is_accepted_without_the_bearer_prefix(emulator: Emulator, idp: IdpProcess) -> None:
    response = emulator.request("GET", "/private", headers={"Authorization": idp.token()})

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("case", UNAUTHORIZED_CASES)
def test_each_bad_token_is_401_invalid_token(emulator: Emulator, idp: IdpProcess, case: str) -> None:
    token = idp.bad_tokens().unauthorized_cases()[case]()

    response = emulator.request("GET", "/private", headers={"Authorization": f"Bearer {token}"})

    assert_unauthorized(response, emulator)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_garbage_authorization_header_is_401(emulator: Emulator) -> None:
    response = emulator.request("GET", "/private", headers={"Authorization": "Bearer not.a.jwt"})

    assert_unauthorized(response, emulator)


def test_token_without_the_route_scope_is_403_forbidden(emulator: Emulator, idp: IdpProcess) -> None:
    reader_token = idp.token(client=READER)

    response = emulator.request("POST", "/private", headers={"Authorization": f"Bearer {reader_token}"})

    assert response.status_code == 403, response.text
    assert response.json() == {"message": "Forbidden"}


def test_bad_tokens_missing_scope_is_403_on_a_scoped_route(emulator: Emulator, idp: IdpProcess) -> None:
    token = idp.bad_tokens().missing_scope("books:write")

    response = emulator.request("POST", "/private", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 403, response.text
    assert response.json() == {"message": "Forbidden"}


def test_token_with_the_route_scope_reaches_the_function(emulator: Emulator, idp: IdpProcess) -> None:
    response = emulator.request(
        "POST", "/private", headers={"Authorization": f"Bearer {idp.token('books:write')}"}
    )

    assert response.status_code == 200, response.text


def test_after_key_rotation_a_new_kid_token_verifies_without_restart(
    emulator: Emulator, idp: IdpProcess
) -> None:
    warm = emulator.request("GET", "/private", headers={"Authorization": f"Bearer {idp.token()}"})
    assert warm.status_code == 200, warm.text

    new_kid = idp.rotate()
    token = idp.token()

    assert jwt.get_unverified_header(token)["kid"] == new_kid

    # The emulator rate-limits JWKS refetches on unknown kids (at most one per 5 s per issuer), so the first
    # request may land inside that window; within a bounded wait the new kid must be fetched and accepted.
    def accepted() -> bool:
        response = emulator.request("GET", "/private", headers={"Authorization": f"Bearer {token}"})
        return response.status_code == 200

    wait_for(accepted, timeout=15, interval=0.5, what="a token signed with the rotated key to be accepted")


def test_after_key_rotation_in_place_a_same_kid_token_verifies_within_seconds(
    emulator: Emulator, idp: IdpProcess
) -> None:
    old_token = idp.token()
    warm = emulator.request("GET", "/private", headers={"Authorization": f"Bearer {old_token}"})
    assert warm.status_code == 200, warm.text

    kid = idp.rotate(keep_kid=True)
    token = idp.token()
    assert jwt.get_unverified_header(token)["kid"] == kid == jwt.get_unverified_header(old_token)["kid"]

    # A bad signature under a cached kid refetches the JWKS like an unknown kid, under the same 5 s limit.
    def accepted() -> bool:
        response = emulator.request("GET", "/private", headers={"Authorization": f"Bearer {token}"})
        return response.status_code == 200

    wait_for(accepted, timeout=15, interval=0.5, what="a token signed with the key rotated in place")
    withdrawn = emulator.request("GET", "/private", headers={"Authorization": f"Bearer {old_token}"})
    assert_unauthorized(withdrawn, emulator)
    assert "the token signature is invalid" in withdrawn.headers["www-authenticate"]


def test_issuer_down_cached_kid_still_verifies_and_unknown_kid_is_401_not_500(
    emulator: Emulator, idp: IdpProcess
) -> None:
    warm = emulator.request("GET", "/private", headers={"Authorization": f"Bearer {idp.token()}"})
    assert warm.status_code == 200, warm.text
    bad = idp.bad_tokens()
    idp.stop()
    try:
        # A token never seen before (fresh jti) under the cached kid: only the cached JWKS can verify it.
        same_kid = emulator.request("GET", "/private", headers={"Authorization": f"Bearer {bad.valid()}"})
        unknown_kid = emulator.request(
            "GET", "/private", headers={"Authorization": f"Bearer {bad.unknown_key()}"}
        )
    finally:
        idp.start()

    assert same_kid.status_code == 200, f"{same_kid.text}\n{emulator.log_tail()}"
    assert_unauthorized(unknown_kid, emulator)
