"""pytest fixtures over the local stack: local_stack (reused or ephemeral), api, token, aws_client."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack import stack_env
from devstack.docker_compose_stack import ComposeStartError
from devstack.ephemeral import EphemeralStack, StackStartError, start_ephemeral
from mock_idp.client import ClientError, fetch_token

MODES = ("embedded", "docker")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("local_stack", "books-cqrs local stack (devstack)")
    group.addoption(
        "--stack",
        choices=MODES,
        default=None,
        help="how local_stack starts a stack when none is running: embedded processes (default) or"
        " docker-compose.yml through testcontainers (STACK_MODE)",
    )


class LocalStack:
    """A running stack's values (stack.env keys), and whether this session started it."""

    def __init__(self, values: dict[str, str], started: bool, source: str) -> None:
        self.values = values
        self.started = started
        self.source = source

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    @property
    def api_url(self) -> str:
        return self.values["API_URL"].rstrip("/")


class BaseUrlSession(requests.Session):
    """A requests.Session whose relative URLs ("/v1/...") are resolved against one base URL."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        return super().request(method, url, *args, **kwargs)


def stack_mode(config: pytest.Config, environ: dict[str, str] | None = None) -> str:
    environ = dict(os.environ) if environ is None else environ
    mode = config.getoption("--stack", default=None) or environ.get("STACK_MODE") or "embedded"
    if mode not in MODES:
        raise pytest.UsageError(f"STACK_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    return str(mode)


class NoSuchStack(LookupError):
    """STACK_ENV or API_URL names a stack that is not there."""


def _explicit(environ: dict[str, str]) -> bool:
    """The caller named a stack (STACK_ENV or API_URL): use it, never start another one."""
    return bool(environ.get("STACK_ENV") or environ.get("API_URL"))


def find_stack(environ: dict[str, str]) -> LocalStack | None:
    """The stack to reuse, or None when one must be started; raises NoSuchStack for a dead named one."""
    path = stack_env.default_path(environ)
    values = stack_env.load(path, environ)
    if _explicit(environ):
        if not values.get("API_URL"):
            raise NoSuchStack(f"STACK_ENV={path} is missing and API_URL is not set")
        # A deployed API has no emulator to ask; a local one must answer, or its file is stale.
        if values.get("EMULATOR_LAMBDA_URL") and not stack_env.answers_health(values):
            raise NoSuchStack(
                f"the stack in {path} does not answer (stale file?): `make local-up`, or unset STACK_ENV"
            )
        return LocalStack(values, started=False, source=str(path))
    if values.get("API_URL") and stack_env.answers_health(values):
        return LocalStack(values, started=False, source=str(path))
    return None


@pytest.fixture(scope="session")
def local_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    """The running stack (.local/stack.env, LOCAL_STATE_DIR or STACK_ENV), else an ephemeral one for the session."""
    environ = dict(os.environ)
    try:
        found = find_stack(environ)
    except NoSuchStack as exc:
        pytest.exit(f"local_stack: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
    if found is not None:
        yield found
        return
    mode = stack_mode(request.config, environ)
    state_dir = Path(tmp_path_factory.mktemp("local-stack"))
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            stack: EphemeralStack = start_ephemeral(state_dir, mode)
    except (StackStartError, ComposeStartError) as exc:
        pytest.fail(
            f"could not start an ephemeral {mode} stack: {exc}\n{output.getvalue()[-3000:]}", pytrace=False
        )
    try:
        yield LocalStack(stack.values, started=True, source=f"ephemeral {mode} stack in {state_dir}")
    finally:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            problem = stack.stop()
        if problem:
            pytest.fail(f"the ephemeral stack did not stop cleanly: {problem}", pytrace=False)


@pytest.fixture
def api(local_stack: LocalStack) -> Iterator[BaseUrlSession]:
    """requests.Session bound to the API: api.get("/v1/catalog/books")."""
    with BaseUrlSession(local_stack.api_url) as session:
        yield session


@pytest.fixture(scope="session")
def token(local_stack: LocalStack) -> Callable[..., str]:
    """token(scope="books:write", client="local-writer", secret=None): an access token from the stack's mock_idp."""
    refused = None if os.environ.get("TOKEN_URL") else stack_env.mock_tokens_refused(local_stack.values)
    url = local_stack.get("TOKEN_URL") or f"{local_stack.get('ISSUER_URL').rstrip('/')}/oauth2/token"

    def mint(
        scope: str | None = "books:write", client: str = "local-writer", secret: str | None = None
    ) -> str:
        if refused:
            pytest.skip(refused)
        try:
            return fetch_token(url, client, secret, scope)
        except ClientError as exc:
            pytest.fail(f"no token for {client} ({scope}): {exc}", pytrace=False)

    return mint


@pytest.fixture(scope="session")
def aws_client(local_stack: LocalStack) -> Callable[..., Any]:
    """aws_client("dynamodb"): a boto3 client against the stack's control plane (test credentials)."""

    def make(service: str, **kwargs: Any) -> Any:
        import boto3  # slow to import: only for suites that ask for a client

        options: dict[str, Any] = {"region_name": local_stack.get("AWS_REGION") or "us-east-1"}
        if local_stack.get("AWS_ENDPOINT_URL"):
            options.update(
                endpoint_url=local_stack["AWS_ENDPOINT_URL"],
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
        return boto3.client(service, **{**options, **kwargs})

    return make
