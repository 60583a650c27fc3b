"""`python -m mock_idp serve` as a real process: discovery, PyJWKClient, CLI, rotation, bad_tokens' key dir."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
import requests

from mock_idp.bad_tokens import UNAUTHORIZED_CASES, BadTokens
from tests.support.processes import REPO_ROOT, free_port, running
from tests.support.waits import wait_for

WRITER = ("local-writer", "local-writer-secret")


@dataclass
class Server:
    url: str
    issuer: str
    key_dir: Path


def start(tmp_path: Path, *extra_args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    key_dir = tmp_path / f"keys-{port}"
    args = ["-m", "mock_idp", "serve", "--port", str(port), "--key-dir", str(key_dir), *extra_args]
    issuer = extra_args[extra_args.index("--issuer") + 1] if "--issuer" in extra_args else url
    with running(
        args, health_url=f"{url}/.well-known/openid-configuration", log_path=tmp_path / "idp.log", env=env
    ):
        yield Server(url, issuer, key_dir)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    yield from start(tmp_path)


def token(server: Server, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    response = requests.post(f"{server.url}/oauth2/token", data=data, auth=WRITER, timeout=5)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def verify_fresh(server: Server, token_value: str) -> dict[str, object]:
    """A verifier with no cache: fetch the JWKS named by the discovery document, as an authorizer does."""
    discovery = requests.get(f"{server.url}/.well-known/openid-configuration", timeout=5).json()
    jwks_uri = discovery["jwks_uri"].replace(discovery["issuer"], server.url)
    client = jwt.PyJWKClient(jwks_uri, cache_jwk_set=False, cache_keys=False)
    key = client.get_signing_key_from_jwt(token_value)
    return dict(
        jwt.decode(token_value, key, algorithms=["RS256"], audience="books-api", issuer=server.issuer)
    )


def test_token_from_the_endpoint_verifies_through_discovery_and_pyjwkclient(server: Server) -> None:
    discovery = requests.get(f"{server.url}/.well-known/openid-configuration", timeout=5).json()
    access_token = token(server, "books:write")

    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(access_token)
    claims = jwt.decode(
        access_token, key, algorithms=["RS256"], audience="books-api", issuer=discovery["issuer"]
    )

    assert discovery["issuer"] == server.url
    assert claims["scope"] == "books:write"


def test_served_issuer_equals_iss_byte_for_byte_under_a_service_name(tmp_path: Path) -> None:
    for server in start(tmp_path, "--issuer", "http://mock-idp:4569"):
        raw = requests.get(f"{server.url}/.well-known/openid-configuration", timeout=5).content
        iss = jwt.decode(token(server), options={"verify_signature": False})["iss"]

        assert json.loads(raw)["issuer"].encode() == iss.encode() == b"http://mock-idp:4569"


def test_token_command_output_works_as_a_bearer_header(server: Server) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_idp", "token", "--scope", "books:write"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT), "MOCK_IDP_ISSUER": server.url},
    )

    assert result.returncode == 0, result.stderr
    assert verify_fresh(server, result.stdout.strip())["scope"] == "books:write"


def test_after_rotation_both_verify_in_the_overlap_and_only_the_new_one_afterwards(server: Server) -> None:
    old_token = token(server)
    rotated = subprocess.run(
        [sys.executable, "-m", "mock_idp", "rotate", "--issuer", server.url, "--overlap-seconds", "2"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)},
    )
    assert rotated.returncode == 0, rotated.stderr
    new_token = token(server)

    assert jwt.get_unverified_header(new_token)["kid"] == json.loads(rotated.stdout)["kid"]
    assert verify_fresh(server, old_token) and verify_fresh(server, new_token)

    def old_key_withdrawn() -> bool:
        try:
            verify_fresh(server, old_token)
        except jwt.PyJWKClientError:
            return True
        return False

    wait_for(old_key_withdrawn, timeout=10, interval=0.2, what="the old key to leave the JWKS")
    assert verify_fresh(server, new_token)


def test_bad_tokens_sign_with_the_key_the_running_server_publishes(server: Server) -> None:
    bad = BadTokens.from_key_dir(server.key_dir, issuer=server.issuer)

    assert verify_fresh(server, bad.valid())["iss"] == server.issuer
    for case in UNAUTHORIZED_CASES:
        # PyJWKClientError for the unknown kid, InvalidTokenError subclasses for the rest.
        with pytest.raises((jwt.InvalidTokenError, jwt.PyJWKClientError)):
            verify_fresh(server, getattr(bad, case)())


def test_a_restart_with_the_same_key_dir_keeps_earlier_tokens_valid(tmp_path: Path) -> None:
    key_dir = tmp_path / "shared-keys"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["-m", "mock_idp", "serve", "--port", str(port), "--key-dir", str(key_dir)]
    health = f"{url}/.well-known/openid-configuration"
    with running(args, health_url=health, log_path=tmp_path / "first.log"):
        earlier = token(Server(url, url, key_dir))
    with running(args, health_url=health, log_path=tmp_path / "second.log"):
        assert verify_fresh(Server(url, url, key_dir), earlier)["client_id"] == "local-writer"


def test_env_configured_client_gets_only_its_scopes(tmp_path: Path) -> None:
    clients = json.dumps([{"client_id": "ci", "client_secret": "ci-secret", "scopes": ["books:read"]}])
    for server in start(tmp_path, env={"MOCK_IDP_CLIENTS": clients}):
        ok = requests.post(
            f"{server.url}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=("ci", "ci-secret"),
            timeout=5,
        )
        refused = requests.post(
            f"{server.url}/oauth2/token",
            data={"grant_type": "client_credentials", "scope": "books:write"},
            auth=("ci", "ci-secret"),
            timeout=5,
        )
        default_gone = requests.post(
            f"{server.url}/oauth2/token", data={"grant_type": "client_credentials"}, auth=WRITER, timeout=5
        )

        assert ok.json()["scope"] == "books:read"
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_scope")
        assert (default_gone.status_code, default_gone.json()["error"]) == (401, "invalid_client")
