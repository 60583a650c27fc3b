"""Key rotation: the old key stays in the JWKS for the overlap, then only the new one verifies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
import requests

from mock_idp.keys import KeySet, KeyStoreError, load_current_key
from tests.unit.mock_idp.conftest import FakeClock, Issuer

WRITER = ("local-writer", "local-writer-secret")


def issue(idp: Issuer) -> str:
    response = requests.post(
        idp.url("/oauth2/token"), data={"grant_type": "client_credentials"}, auth=WRITER, timeout=5
    )
    return str(response.json()["access_token"])


def verifies(idp: Issuer, token: str) -> bool:
    """Verify as a fresh PyJWKClient would: fetch the JWKS now and look the kid up in it."""
    client = jwt.PyJWKClient(idp.url("/.well-known/jwks.json"), cache_jwk_set=False, cache_keys=False)
    try:
        key = client.get_signing_key_from_jwt(token)
        jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience="books-api",
            issuer=idp.issuer,
            options={"verify_exp": False},
        )
    except jwt.PyJWKClientError:
        return False
    return True


def rotate(idp: Issuer, body: dict[str, float] | None = None) -> dict[str, object]:
    response = requests.post(idp.url("/admin/rotate-keys"), json=body, timeout=5)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_old_and_new_tokens_verify_during_the_overlap_and_only_new_ones_after(
    start_issuer: Callable[..., Issuer],
) -> None:
    idp = start_issuer(key_overlap_seconds=300)
    old_token = issue(idp)

    rotation = rotate(idp)
    new_token = issue(idp)

    assert jwt.get_unverified_header(new_token)["kid"] == rotation["kid"] != rotation["previous_kid"]
    assert verifies(idp, old_token) and verifies(idp, new_token)
    idp.clock.advance(299)
    assert verifies(idp, old_token)
    idp.clock.advance(2)
    assert not verifies(idp, old_token)
    assert verifies(idp, new_token)


def test_rotation_request_may_shorten_the_overlap(idp: Issuer) -> None:
    old_token = issue(idp)

    rotate(idp, {"overlap_seconds": 5})
    idp.clock.advance(6)

    assert not verifies(idp, old_token)
    assert [k["kid"] for k in requests.get(idp.url("/.well-known/jwks.json"), timeout=5).json()["keys"]] == [
        idp.keys.current.kid
    ]


def test_jwks_lists_the_current_key_first_during_an_overlap(idp: Issuer) -> None:
    first = idp.keys.current.kid
    rotation = rotate(idp)

    kids = [k["kid"] for k in requests.get(idp.url("/.well-known/jwks.json"), timeout=5).json()["keys"]]

    assert kids == [rotation["kid"], first] == rotation["published_kids"]


@pytest.mark.parametrize("body", [{"overlap_seconds": -1}, {"overlap_seconds": "soon"}, [1]])
def test_rotation_with_a_bad_overlap_is_refused_and_keeps_the_key(idp: Issuer, body: object) -> None:
    before = idp.keys.current.kid

    response = requests.post(idp.url("/admin/rotate-keys"), json=body, timeout=5)

    assert response.status_code == 400
    assert "overlap" in response.json()["message"] or "object" in response.json()["message"]
    assert idp.keys.current.kid == before


def test_keys_persist_in_the_key_directory_across_restarts(tmp_path: Path) -> None:
    clock = FakeClock()
    first = KeySet.open(tmp_path, overlap_seconds=60, clock=clock)
    first.rotate()

    reopened = KeySet.open(tmp_path, overlap_seconds=60, clock=clock)

    assert [k.kid for k in reopened.published()] == [k.kid for k in first.published()]
    assert load_current_key(tmp_path).kid == first.current.kid
    assert (tmp_path / f"{first.current.kid}.pem").stat().st_mode & 0o077 == 0


def test_expired_keys_are_dropped_from_disk_on_the_next_rotation(tmp_path: Path) -> None:
    clock = FakeClock()
    keys = KeySet.open(tmp_path, overlap_seconds=10, clock=clock)
    original = keys.current.kid
    keys.rotate()
    clock.advance(11)

    keys.rotate()

    assert not (tmp_path / f"{original}.pem").exists()
    assert len(list(tmp_path.glob("*.pem"))) == 2


def test_loading_from_an_empty_key_directory_says_the_issuer_was_not_started(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="no current signing key"):
        load_current_key(tmp_path)


def test_a_corrupt_key_directory_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "keys.json").write_text('[{"kid": "abc", "created_at": 1}]')

    with pytest.raises(KeyStoreError, match="cannot load signing keys"):
        KeySet.open(tmp_path, overlap_seconds=10)


def test_rotation_in_place_keeps_the_kid_and_withdraws_the_old_material_at_once(idp: Issuer) -> None:
    old_token = issue(idp)
    kid = idp.keys.current.kid

    rotation = rotate(idp, {"keep_kid": True})
    new_token = issue(idp)

    assert rotation["kid"] == rotation["previous_kid"] == kid == jwt.get_unverified_header(new_token)["kid"]
    assert rotation["published_kids"] == [kid]
    assert verifies(idp, new_token)
    with pytest.raises(jwt.InvalidSignatureError):
        verifies(idp, old_token)


def test_rotation_in_place_is_persisted_over_the_old_key_file(tmp_path: Path) -> None:
    keys = KeySet.open(tmp_path, overlap_seconds=60, clock=FakeClock())
    before = keys.current.public_jwk()

    keys.rotate_in_place()

    reopened = load_current_key(tmp_path)
    assert reopened.kid == before["kid"] and reopened.public_jwk()["n"] != before["n"]
    assert reopened.public_jwk() == keys.current.public_jwk()


@pytest.mark.parametrize("body", [{"keep_kid": "yes"}, {"keep_kid": True, "overlap_seconds": 5}])
def test_a_bad_in_place_rotation_request_is_refused_and_keeps_the_key(idp: Issuer, body: object) -> None:
    before = idp.keys.current.public_jwk()

    response = requests.post(idp.url("/admin/rotate-keys"), json=body, timeout=5)

    assert response.status_code == 400
    assert "keep_kid" in response.json()["message"]
    assert idp.keys.current.public_jwk() == before
