"""devstack's pytest plugin, run in inner pytest sessions (pytester) against a fake stack on a local port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack import docker_compose_stack, ephemeral, pytest_plugin, stack_env
from devstack.config import StackConfig
from tests.unit.devstack.fakes import FakeStack

pytest_plugins = ["pytester"]


@pytest.fixture
def fake_stack() -> Iterator[FakeStack]:
    stack = FakeStack()
    stack.thread.start()
    yield stack
    stack.server.shutdown()
    stack.server.server_close()


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("STACK_ENV", "LOCAL_STATE_DIR", "STACK_MODE", *stack_env.OVERRIDES):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


class FakeEphemeral:
    """Stands in for devstack.ephemeral.start_ephemeral: records the mode and whether stop() ran."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.modes: list[str] = []
        self.stopped = 0

    def __call__(self, state_dir: Path, mode: str = "embedded") -> Any:
        self.modes.append(mode)
        fake = self

        class Started:
            values = fake.values

            def stop(self) -> str | None:
                fake.stopped += 1
                return None

        return Started()


USES_FIXTURES = """
def test_stack(local_stack, api, token, aws_client):
    print("STARTED", local_stack.started)
    assert api.get("/v1/catalog/books").json() == {"path": "/v1/catalog/books"}
    assert token(scope="books:read", client="local-reader") == "fake-token"
    client = aws_client("dynamodb")
    print("ENDPOINT", client.meta.endpoint_url)
"""


def test_a_live_stack_in_the_state_dir_is_reused_and_fixtures_talk_to_it(
    pytester: pytest.Pytester, fake_stack: FakeStack, clean_env: pytest.MonkeyPatch
) -> None:
    state = pytester.path / "state"
    stack_env.write(state / "stack.env", fake_stack.values())
    clean_env.setenv("LOCAL_STATE_DIR", str(state))
    pytester.makepyfile(USES_FIXTURES)

    result = pytester.runpytest("-p", "devstack.pytest_plugin", "-s")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*STARTED False*", f"*ENDPOINT {fake_stack.url}*"])
    token_call = next(r for r in fake_stack.requests if r["path"] == "/oauth2/token")
    assert token_call["auth"].startswith("Basic ") and "scope=books%3Aread" in token_call["body"]


@pytest.mark.parametrize(
    ("case", "stack_file"),
    [
        ("no stack file", None),
        ("stack file of a stopped stack", {"EMULATOR_LAMBDA_URL": "dead"}),
        ("emulator up but serving another API", {"API_ID": "other"}),
    ],
)
def test_without_a_live_stack_an_ephemeral_one_is_started_and_stopped_once(
    pytester: pytest.Pytester,
    fake_stack: FakeStack,
    clean_env: pytest.MonkeyPatch,
    case: str,
    stack_file: dict[str, str] | None,
) -> None:
    state = pytester.path / "state"
    if stack_file is not None:
        overrides = {k: (_dead_url() if v == "dead" else v) for k, v in stack_file.items()}
        stack_env.write(state / "stack.env", fake_stack.values(**overrides))
    clean_env.setenv("LOCAL_STATE_DIR", str(state))
    fake = FakeEphemeral(fake_stack.values())
    clean_env.setattr(pytest_plugin, "start_ephemeral", fake)
    pytester.makepyfile(USES_FIXTURES + USES_FIXTURES.replace("test_stack", "test_again"))

    result = pytester.runpytest("-p", "devstack.pytest_plugin", "-s")

    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*STARTED True*"])
    assert fake.modes == ["embedded"] and fake.stopped == 1, case


@pytest.mark.parametrize(
    ("args", "env_mode", "expected"),
    [
        ((), None, "embedded"),
        (("--stack=docker",), None, "docker"),
        ((), "docker", "docker"),
        (("--stack=embedded",), "docker", "embedded"),
    ],
)
def test_the_stack_mode_comes_from_the_option_then_stack_mode(
    pytester: pytest.Pytester,
    fake_stack: FakeStack,
    clean_env: pytest.MonkeyPatch,
    args: tuple[str, ...],
    env_mode: str | None,
    expected: str,
) -> None:
    clean_env.setenv("LOCAL_STATE_DIR", str(pytester.path / "nothing-here"))
    if env_mode:
        clean_env.setenv("STACK_MODE", env_mode)
    fake = FakeEphemeral(fake_stack.values())
    clean_env.setattr(pytest_plugin, "start_ephemeral", fake)
    pytester.makepyfile("def test_it(local_stack):\n    assert local_stack.started\n")

    result = pytester.runpytest("-p", "devstack.pytest_plugin", *args)

    result.assert_outcomes(passed=1)
    assert fake.modes == [expected]


def test_a_named_stack_that_does_not_answer_stops_the_session_with_one_line(
    pytester: pytest.Pytester, fake_stack: FakeStack, clean_env: pytest.MonkeyPatch
) -> None:
    path = pytester.path / "stale.env"
    stack_env.write(path, fake_stack.values(EMULATOR_LAMBDA_URL=_dead_url()))
    clean_env.setenv("STACK_ENV", str(path))
    fake = FakeEphemeral(fake_stack.values())
    clean_env.setattr(pytest_plugin, "start_ephemeral", fake)
    pytester.makepyfile("def test_it(local_stack):\n    pass\n")

    result = pytester.runpytest("-p", "devstack.pytest_plugin")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines([f"*the stack in {path} does not answer*"])
    assert fake.modes == []


def test_a_deployed_api_named_by_api_url_is_used_as_it_is(
    pytester: pytest.Pytester, fake_stack: FakeStack, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("API_URL", fake_stack.url)
    clean_env.setenv("STACK_ENV", str(pytester.path / "missing.env"))
    pytester.makepyfile(
        "def test_it(local_stack, api):\n"
        "    assert not local_stack.started\n"
        "    assert api.get('/health').status_code == 200\n"
    )
    pytester.runpytest("-p", "devstack.pytest_plugin").assert_outcomes(passed=1)


def test_tokens_are_skipped_when_the_stack_trusts_another_issuer(
    pytester: pytest.Pytester, fake_stack: FakeStack, clean_env: pytest.MonkeyPatch
) -> None:
    path = pytester.path / "stack.env"
    stack_env.write(path, fake_stack.values(JWT_ISSUER="https://idp.example.com"))
    clean_env.setenv("STACK_ENV", str(path))
    pytester.makepyfile("def test_it(token):\n    token()\n")

    result = pytester.runpytest("-p", "devstack.pytest_plugin", "-rs")

    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*JWT_ISSUER=https://idp.example.com*"])


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ".local/stack.env"),
        ({"LOCAL_STATE_DIR": ".local-x"}, ".local-x/stack.env"),
        ({"LOCAL_STATE_DIR": "/tmp/s"}, "/tmp/s/stack.env"),
        ({"LOCAL_STATE_DIR": ".local-x", "STACK_ENV": "/elsewhere/stack.env"}, "/elsewhere/stack.env"),
    ],
)
def test_the_stack_file_is_found_by_stack_env_then_the_state_dir(
    environ: dict[str, str], expected: str
) -> None:
    path = stack_env.default_path(environ)
    assert str(path).endswith(expected) and path.is_absolute()


def test_explicit_variables_win_over_the_stack_file(tmp_path: Path) -> None:
    stack_env.write(tmp_path / "stack.env", {"API_URL": "http://a", "QUERY_FUNCTION": "q"})
    values = stack_env.load(tmp_path / "stack.env", {"API_URL": "http://b", "UNRELATED": "x"})
    assert values == {"API_URL": "http://b", "QUERY_FUNCTION": "q"}


def test_leftovers_name_a_port_of_the_stack_that_still_listens(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = StackConfig(state_dir=tmp_path).with_ports(port, *ephemeral.ports.free_ports("127.0.0.1", 3))
        assert f"moto:{port} listening" in ephemeral.leftovers(config)
    assert ephemeral.leftovers(config) == []


def test_the_docker_stack_is_compose_with_an_env_file_of_the_sessions_ports(tmp_path: Path) -> None:
    config = StackConfig(state_dir=tmp_path).with_ports(5001, 5002, 5003, 5004)
    compose = docker_compose_stack._compose(config)
    env_file = tmp_path / "compose.env"
    command = compose.docker_compose_command()
    assert command[-4:] == ["-f", "docker-compose.yml", "--env-file", str(env_file)]
    written = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    assert written["MOTO_PORT"] == "5001" and written["MOCK_IDP_PORT"] == "5004"
    assert written["COMPOSE_PROJECT_NAME"] == "books-cqrs" and written["BOOKS_IMAGE_TAG"]


@pytest.mark.parametrize(
    ("failing", "says"),
    [
        ("info", "needs a running Docker engine"),
        ("compose", "drives `docker compose` (v2) through testcontainers"),
    ],
)
def test_a_docker_session_without_docker_fails_in_one_line_and_starts_nothing(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch, failing: str, says: str
) -> None:
    def docker(*args: str) -> str:
        if args[0] == failing:
            raise docker_compose_stack.DockerModeError(f"docker {args[0]} failed")
        return ""

    clean_env.setattr(docker_compose_stack, "_docker", docker)
    clean_env.setenv("LOCAL_STATE_DIR", str(pytester.path / "nothing-here"))
    pytester.makepyfile("def test_it(local_stack):\n    pass\n")

    result = pytester.runpytest("-p", "devstack.pytest_plugin", "--stack=docker")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*could not start an ephemeral docker stack: *{says}*"])
