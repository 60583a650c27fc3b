"""bad_tokens: each token is rejected by a standard verifier against the issuer's JWKS, the control is not."""

from __future__ import annotations

import jwt
import pytest
import requests

from mock_idp.bad_tokens import UNAUTHORIZED_CASES, BadTokens
from tests.unit.mock_idp.conftest import Issuer


def verify(idp: Issuer, token: str) -> dict[str, object]:
    """What an API Gateway JWT authorizer checks: kid in the JWKS, RS256 signature, iss, aud, exp, nbf."""
    jwks = jwt.PyJWKSet.from_dict(requests.get(idp.url("/.well-known/jwks.json"), timeout=5).json())
    kid = jwt.get_unverified_header(token).get("kid")
    matching = [key for key in jwks.keys if key.key_id == kid]
    if not matching:
        raise jwt.InvalidTokenError(f"kid {kid!r} is not published")
    return dict(
        jwt.decode(token, matching[0].key, algorithms=["RS256"], audience="books-api", issuer=idp.issuer)
    )


@pytest.fixture
def bad(idp: Issuer) -> BadTokens:
    return BadTokens.from_key_dir(idp.settings.key_dir, issuer=idp.issuer)


def test_the_control_token_minted_from_the_key_directory_verifies(idp: Issuer, bad: BadTokens) -> None:
    claims = verify(idp, bad.valid())

    assert claims["scope"] == "books:write books:read"


@pytest.mark.parametrize("case", UNAUTHORIZED_CASES)
def test_each_bad_token_is_rejected_by_the_verifier(idp: Issuer, bad: BadTokens, case: str) -> None:
    token = bad.unauthorized_cases()[case]()

    with pytest.raises(jwt.InvalidTokenError):
        verify(idp, token)


def test_missing_scope_token_verifies_but_lacks_the_write_scope(idp: Issuer, bad: BadTokens) -> None:
    claims = verify(idp, bad.missing_scope("books:write"))

    assert "books:write" not in str(claims["scope"]).split()


def test_hs256_token_is_a_correct_hmac_over_the_public_key_pem(bad: BadTokens) -> None:
    token = bad.hs256_with_public_key()
    header_b64, payload_b64, signature_b64 = token.split(".")
    import base64
    import hashlib
    import hmac

    expected = hmac.new(bad.key.public_pem(), f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4)) == expected


def test_alg_none_token_has_an_empty_signature_and_the_issuers_kid(bad: BadTokens) -> None:
    token = bad.alg_none()

    assert token.endswith(".")
    assert jwt.get_unverified_header(token) == {"alg": "none", "typ": "JWT", "kid": bad.key.kid}


def test_tampered_token_keeps_a_real_signature_over_other_claims(idp: Issuer, bad: BadTokens) -> None:
    token = bad.tampered_payload()
    claims = jwt.decode(token, options={"verify_signature": False})

    assert claims["scope"] == "books:write books:read books:admin"
    with pytest.raises(jwt.InvalidSignatureError):
        verify(idp, token)


def test_each_time_defect_is_the_only_defect(idp: Issuer, bad: BadTokens) -> None:
    with pytest.raises(jwt.ExpiredSignatureError):
        verify(idp, bad.expired())
    with pytest.raises(jwt.ImmatureSignatureError):
        verify(idp, bad.not_yet_valid())
    with pytest.raises(jwt.InvalidIssuerError):
        verify(idp, bad.wrong_issuer())
    with pytest.raises(jwt.InvalidAudienceError):
        verify(idp, bad.wrong_audience())
