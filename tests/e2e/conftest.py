"""Fixtures for the end-to-end suite: the running stack's URLs, real tokens, and a CloudWatch Logs client."""

from __future__ import annotations

import os
import uuid
from typing import Any

import boto3
import pytest
import requests

from devstack import stack_env
from devstack.pytest_plugin import LocalStack
from mock_idp.client import ClientError, fetch_token


@pytest.fixture(scope="session")
def stack(local_stack: LocalStack) -> dict[str, str]:
    """The running stack (reused, or started for this session by devstack's pytest plugin)."""
    return local_stack.values


@pytest.fixture(scope="session")
def api_url(stack: dict[str, str]) -> str:
    return stack["API_URL"].rstrip("/")


def _fetch_token(token_url: str, client_id: str, client_secret: str, scope: str) -> str:
    try:
        return fetch_token(token_url, client_id, client_secret, scope)
    except ClientError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def token_url(stack: dict[str, str]) -> str:
    # An explicit TOKEN_URL means tokens come from elsewhere, e.g. from the issuer in force.
    reason = None if os.environ.get("TOKEN_URL") else stack_env.mock_tokens_refused(stack)
    if reason:
        pytest.skip(reason)
    if stack.get("TOKEN_URL"):
        return stack["TOKEN_URL"]
    discovery = requests.get(
        f"{stack['ISSUER_URL'].rstrip('/')}/.well-known/openid-configuration", timeout=10
    )
    return str(discovery.json()["token_endpoint"])


@pytest.fixture(scope="session")
def write_token(token_url: str) -> str:
    return _fetch_token(
        token_url,
        os.environ.get("CLIENT_ID", "local-writer"),
        os.environ.get("CLIENT_SECRET", "local-writer-secret"),
        os.environ.get("SCOPE", "books:write"),
    )


@pytest.fixture(scope="session")
def read_only_token(token_url: str) -> str:
    if os.environ.get("SMOKE") and not os.environ.get("READER_CLIENT_ID"):
        pytest.skip("smoke run without READER_CLIENT_ID: no token without the write scope to try")
    client_id = os.environ.get("READER_CLIENT_ID", "local-reader")
    secret = os.environ.get("READER_CLIENT_SECRET", "local-reader-secret")
    return _fetch_token(token_url, client_id, secret, os.environ.get("READER_SCOPE", "books:read"))


@pytest.fixture
def writer(write_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {write_token}", "Content-Type": "application/json"}


@pytest.fixture(scope="session")
def logs_client(stack: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"region_name": stack.get("AWS_REGION", "us-east-1")}
    if stack.get("AWS_ENDPOINT_URL"):
        kwargs.update(
            endpoint_url=stack["AWS_ENDPOINT_URL"], aws_access_key_id="test", aws_secret_access_key="test"
        )
    return boto3.client("logs", **kwargs)


def isbn13(seed: int | None = None) -> str:
    """A random, valid ISBN-13 (978 prefix), so runs never collide on the catalog's unique ISBN."""
    digits = "978" + f"{(seed if seed is not None else uuid.uuid4().int) % 10**9:09d}"
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def new_book(**overrides: Any) -> dict[str, Any]:
    book: dict[str, Any] = {
        "title": f"E2E {uuid.uuid4().hex[:8]}",
        "authors": ["Ursula K. Le Guin"],
        "isbn": isbn13(),
        "published_year": 1969,
        "language": "en",
        "tags": ["e2e"],
    }
    book.update(overrides)
    return book
