"""Authorize step: AWS's JWT authorizer rules, with keys made here and a fake JWKS fetcher."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import pytest

from emulator.apigw.errors import Forbidden, Unauthorized
from emulator.apigw.jwks_cache import JwksCache
from emulator.apigw.jwt_authorizer import AuthorizeRequest, JwtAuthorizer, render_claim, token_scopes
from emulator.apigw.model import Authorizer
from tests.unit.emulator.apigw.fakes import ISSUER, Issuer, api, context, jwt_authorizer, route, run


def make(issuer: Issuer, **kwargs: Any) -> JwtAuthorizer:
    return JwtAuthorizer(JwksCache(issuer.fetch), **kwargs)


def check(
    token: str | None, *, scopes: tuple[str, ...] = (), issuer: Issuer, config: Authorizer | None = None
):
    return run(make(issuer).authorize(config or jwt_authorizer(), scopes, token))


def denied(token: str | None, issuer: Issuer, **kwargs: Any) -> Unauthorized:
    with pytest.raises(Unauthorized) as raised:
        check(token, issuer=issuer, **kwargs)
    assert raised.value.body() == b'{"message":"Unauthorized"}'
    assert "www-authenticate" in raised.value.headers
    return raised.value


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


def test_valid_token_with_bearer_prefix_is_accepted(issuer: Issuer) -> None:
    principal = check("Bearer " + issuer.token(), issuer=issuer)
    assert principal["claims"]["sub"] == "user-1"
    assert principal["scopes"] is None


def test_valid_token_without_bearer_prefix_is_accepted(issuer: Issuer) -> None:
    assert check(issuer.token(), issuer=issuer)["claims"]["iss"] == ISSUER


def test_missing_token_is_401_with_bare_bearer_challenge(issuer: Issuer) -> None:
    assert denied(None, issuer).headers["www-authenticate"] == "Bearer"


def test_garbage_token_is_401(issuer: Issuer) -> None:
    denied("Bearer not-a-jwt", issuer)


def test_wrong_audience_is_401_with_aws_description(issuer: Issuer) -> None:
    error = denied(issuer.token(aud="someone-else"), issuer)
    assert error.headers["www-authenticate"] == (
        'Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"'
    )


def test_client_id_counts_when_aud_is_absent(issuer: Issuer) -> None:
    assert (
        check(issuer.token(aud=None, client_id="books-api"), issuer=issuer)["claims"]["client_id"]
        == "books-api"
    )


def test_aud_is_evaluated_instead_of_client_id_when_both_present(issuer: Issuer) -> None:
    denied(issuer.token(aud="other", client_id="books-api"), issuer)


def test_audience_list_needs_one_match(issuer: Issuer) -> None:
    assert check(issuer.token(aud=["x", "books-api"]), issuer=issuer)


def test_wrong_issuer_is_401(issuer: Issuer) -> None:
    denied(issuer.token(iss="http://evil.test"), issuer)


def test_expired_token_is_401(issuer: Issuer) -> None:
    now = int(time.time())
    assert "expired" in denied(issuer.token(iat=now - 600, exp=now - 1), issuer).detail


def test_token_without_exp_is_401(issuer: Issuer) -> None:
    denied(issuer.token(exp=None), issuer)


def test_token_without_iat_is_401(issuer: Issuer) -> None:
    denied(issuer.token(iat=None), issuer)


def test_not_yet_valid_token_is_401(issuer: Issuer) -> None:
    denied(issuer.token(nbf=int(time.time()) + 120), issuer)


def test_token_issued_in_the_future_is_401(issuer: Issuer) -> None:
    denied(issuer.token(iat=int(time.time()) + 120), issuer)


def test_unknown_kid_is_401(issuer: Issuer) -> None:
    token = issuer.token()
    forged = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}),
        issuer.keys[issuer.kid],
        algorithm="RS256",
        headers={"kid": "nope"},
    )
    denied(forged, issuer)


def test_token_signed_by_another_key_is_401(issuer: Issuer) -> None:
    stranger = Issuer(kid=issuer.kid)
    denied(stranger.token(), issuer)


def test_hs256_and_none_algorithms_are_rejected(issuer: Issuer) -> None:
    claims = {"iss": ISSUER, "aud": "books-api", "iat": int(time.time()), "exp": int(time.time()) + 60}
    hs = jwt.encode(
        claims, "secret-secret-secret-secret-32by", algorithm="HS256", headers={"kid": issuer.kid}
    )
    none = jwt.encode(claims, None, algorithm="none", headers={"kid": issuer.kid})
    assert "signing method HS256" in denied(hs, issuer).detail
    denied(none, issuer)


def test_rs512_is_accepted(issuer: Issuer) -> None:
    assert check(issuer.token(algorithm="RS512"), issuer=issuer)


def test_route_scope_present_in_scope_claim(issuer: Issuer) -> None:
    principal = check(issuer.token(scope="books:read books:write"), scopes=("books:write",), issuer=issuer)
    assert principal["scopes"] == ["books:read", "books:write"]


def test_route_scope_present_in_scp_list(issuer: Issuer) -> None:
    assert check(issuer.token(scp=["books:write"]), scopes=("books:write", "admin"), issuer=issuer)


def test_missing_scope_is_403_forbidden(issuer: Issuer) -> None:
    with pytest.raises(Forbidden) as raised:
        check(issuer.token(scope="books:read"), scopes=("books:write",), issuer=issuer)
    assert raised.value.status == 403
    assert raised.value.body() == b'{"message":"Forbidden"}'
    assert 'error="insufficient_scope"' in raised.value.headers["www-authenticate"]


def test_authorizer_without_audiences_denies(issuer: Issuer) -> None:
    denied(issuer.token(), issuer, config=jwt_authorizer(audience=()))


def test_claims_are_rendered_as_aws_strings() -> None:
    assert render_claim(1700000000) == "1700000000"
    assert render_claim(True) == "true"
    assert render_claim(["a", "b", 3]) == "[a b 3]"
    assert render_claim({"k": 1, "a": "x"}) == "map[a:x k:1]"
    assert render_claim("plain") == "plain"


def test_scopes_come_from_scope_string_and_scp() -> None:
    assert token_scopes({"scope": "a b", "scp": ["c"]}) == ["a", "b", "c"]
    assert token_scopes({"scp": "d e"}) == ["d", "e"]


def test_verified_tokens_are_cached_until_exp(issuer: Issuer) -> None:
    clock = [time.time()]
    authorizer = make(issuer, clock=lambda: clock[0])
    token = issuer.token(exp=int(clock[0]) + 10)
    run(authorizer.authorize(jwt_authorizer(), (), token))
    fetches = len(issuer.fetches)
    run(authorizer.authorize(jwt_authorizer(), (), token))
    assert len(issuer.fetches) == fetches  # second call served from the verified-token cache
    clock[0] += 11
    with pytest.raises(Unauthorized):
        run(authorizer.authorize(jwt_authorizer(), (), token))


def test_issuer_unreachable_cached_key_still_verifies_other_tokens_401() -> None:
    issuer = Issuer()
    authorizer = JwtAuthorizer(JwksCache(issuer.fetch, min_refetch_seconds=0))
    run(authorizer.authorize(jwt_authorizer(), (), issuer.token()))
    issuer.reachable = False
    assert (
        run(authorizer.authorize(jwt_authorizer(), (), issuer.token(sub="other")))["claims"]["sub"] == "other"
    )
    issuer.add_key("key-2")
    with pytest.raises(Unauthorized):
        run(authorizer.authorize(jwt_authorizer(), (), issuer.token()))


def test_step_puts_principal_in_context_and_passes_open_routes(issuer: Issuer) -> None:
    the_api = api(route("GET /open"), route("GET /closed", auth="auth1"), authorizers=(jwt_authorizer(),))
    step = AuthorizeRequest(make(issuer))
    open_ctx = context("GET", "/open", the_api=the_api, route=the_api.routes.routes[0])
    run(step(open_ctx))
    assert "principal" not in open_ctx
    headers = {"Authorization": "Bearer " + issuer.token()}
    closed = context("GET", "/closed", headers=headers, the_api=the_api, route=the_api.routes.routes[1])
    run(step(closed))
    assert closed["principal"]["claims"]["sub"] == "user-1"


def test_step_records_authorizer_error_for_access_logs(issuer: Issuer) -> None:
    the_api = api(route("GET /closed", auth="auth1"), authorizers=(jwt_authorizer(),))
    ctx = context("GET", "/closed", the_api=the_api, route=the_api.routes.routes[0])
    with pytest.raises(Unauthorized):
        run(AuthorizeRequest(make(issuer))(ctx))
    assert ctx["authorizer_error"] == "no token in the identity source"


def test_route_with_unknown_authorizer_fails_closed(issuer: Issuer) -> None:
    the_api = api(route("GET /closed", auth="missing"))
    ctx = context("GET", "/closed", the_api=the_api, route=the_api.routes.routes[0])
    with pytest.raises(Unauthorized):
        run(AuthorizeRequest(make(issuer))(ctx))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


OK, BAD_SIGNATURE = "accepted", "the token signature is invalid"


# Each case: the issuer replaces the key material under the same kid (or not), then tokens are presented
# after `advance` seconds of the JWKS cache's clock (refetches: at most one per 5 s per issuer).
# Tokens: "seen" (old key, verified before the rotation), "old" (old key, never presented), "new" (new key),
# "forged" (a stranger's key under the published kid).
ROTATION_CASES = [
    ("rotated key is fetched once and accepted", True, True, [(6, "new", OK)], 1),
    (
        "inside the rate-limit window the new key waits",
        True,
        True,
        [(1, "new", BAD_SIGNATURE), (5, "new", OK)],
        1,
    ),
    (
        "until a refetch the cached withdrawn key still verifies (no signal yet)",
        True,
        True,
        [(6, "old", OK)],
        0,
    ),
    (
        "after the refetch a withdrawn key's token is refused",
        True,
        True,
        [(6, "new", OK), (0, "old", BAD_SIGNATURE)],
        1,
    ),
    (
        "a token verified with the withdrawn key is refused once the refetch saw the new key",
        True,
        True,
        [(6, "seen", OK), (0, "new", OK), (0, "seen", BAD_SIGNATURE)],
        1,
    ),
    (
        "no rotation: a forged signature refetches once, then is refused",
        False,
        True,
        [(6, "forged", BAD_SIGNATURE), (0, "forged", BAD_SIGNATURE), (0, "seen", OK)],
        1,
    ),
    (
        "issuer unreachable: the new key cannot be learnt, the cached one still verifies",
        True,
        False,
        [(6, "new", BAD_SIGNATURE), (0, "seen", OK)],
        1,
    ),
]


@pytest.mark.parametrize(
    ("rotate", "reachable", "steps", "refetches"),
    [pytest.param(*case[1:], id=case[0]) for case in ROTATION_CASES],
)
def test_key_rotated_under_the_same_kid(
    rotate: bool, reachable: bool, steps: list[tuple[float, str, str]], refetches: int
) -> None:
    issuer, clock = Issuer(), Clock()
    authorizer = JwtAuthorizer(JwksCache(issuer.fetch, clock=clock))
    tokens = {"seen": issuer.token(sub="seen"), "old": issuer.token(sub="old")}
    tokens["forged"] = Issuer(kid=issuer.kid).token()
    run(authorizer.authorize(jwt_authorizer(), (), tokens["seen"]))
    if rotate:
        issuer.add_key(issuer.kid)  # new material, same kid: the old key is withdrawn at once
    tokens["new"] = issuer.token(sub="new")
    issuer.reachable = reachable
    before = discoveries(issuer)

    outcomes = []
    for advance, name, _ in steps:
        clock.now += advance
        try:
            run(authorizer.authorize(jwt_authorizer(), (), tokens[name]))
            outcomes.append(OK)
        except Unauthorized as exc:
            assert exc.body() == b'{"message":"Unauthorized"}'
            assert 'error="invalid_token"' in exc.headers["www-authenticate"]
            outcomes.append(exc.detail)

    assert outcomes == [expected for _, _, expected in steps]
    assert discoveries(issuer) - before == refetches


def discoveries(issuer: Issuer) -> int:
    return sum(url.endswith("/openid-configuration") for url in issuer.fetches)


def test_a_flood_of_bad_signatures_refetches_at_most_once_per_interval() -> None:
    issuer, clock = Issuer(), Clock()
    authorizer = JwtAuthorizer(JwksCache(issuer.fetch, min_refetch_seconds=5, clock=clock))
    run(authorizer.authorize(jwt_authorizer(), (), issuer.token()))
    forged = [Issuer(kid=issuer.kid).token(sub=f"forger-{n}") for n in range(3)]

    async def flood() -> list[BaseException | object]:
        attempts = [authorizer.authorize(jwt_authorizer(), (), forged[n % 3]) for n in range(60)]
        return await asyncio.gather(*attempts, return_exceptions=True)

    clock.now += 6
    first = run(flood())
    after_first = discoveries(issuer)
    second = run(flood())  # same instant: inside the window
    clock.now += 6
    third = run(flood())

    for outcome in first + second + third:
        assert isinstance(outcome, Unauthorized) and outcome.detail == BAD_SIGNATURE
    assert after_first == 2  # the initial fetch plus one refetch for 60 forged tokens
    assert discoveries(issuer) == 3  # one more only once the interval has passed
