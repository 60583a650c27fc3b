"""Functions run as their execution role: each new environment gets a fresh session of it."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.config import Settings
from emulator.invocation import InvocationStatus
from emulator.lambdas.environment import ExecutionEnvironment
from emulator.lambdas.reserved_env import build_environment
from emulator.lambdas.role_credentials import NOT_ASSUMABLE, RoleCredentials, RoleNotAssumable, RoleSessions
from tests.unit.emulator.lambdas.fakes import FakeExecutor, FakeLogSink, make_config

ROLE = "arn:aws:iam::123456789012:role/fn-role"
SESSION = {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret", "SessionToken": "token"}


class FakeSts:
    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.calls: list[dict[str, Any]] = []

    def assume_role(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.refuse:
            raise ClientError({"Error": {"Code": self.refuse, "Message": "no"}}, "AssumeRole")
        return {"Credentials": SESSION}


def test_a_session_of_the_role_becomes_the_functions_credentials() -> None:
    sts = FakeSts()
    env = asyncio.run(RoleCredentials(lambda: sts)(dataclasses.replace(make_config("fn"), role=ROLE)))
    assert env == {
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "token",
    }
    assert (sts.calls[0]["RoleArn"], sts.calls[0]["RoleSessionName"]) == (ROLE, "fn")


@pytest.mark.parametrize(
    ("role", "refuse"),
    [(ROLE, "AccessDenied"), ("", None)],
    ids=["the trust policy refuses lambda", "the function has no role"],
)
def test_a_role_lambda_cannot_assume_is_refused_with_lambdas_message(role: str, refuse: str | None) -> None:
    provider = RoleCredentials(lambda: FakeSts(refuse))
    with pytest.raises(RoleNotAssumable, match=NOT_ASSUMABLE.replace(".", r"\.")):
        asyncio.run(provider(dataclasses.replace(make_config(), role=role)))


def test_another_sts_error_is_not_mistaken_for_a_refusal() -> None:
    with pytest.raises(ClientError):
        asyncio.run(
            RoleCredentials(lambda: FakeSts("Throttling"))(dataclasses.replace(make_config(), role=ROLE))
        )


def test_the_session_replaces_the_static_keys_in_the_environment() -> None:
    env = build_environment(
        make_config(),
        Settings(),
        runtime_api="a:1",
        log_stream="s",
        task_root="/code",
        credentials={"AWS_ACCESS_KEY_ID": "ASIA1", "AWS_SECRET_ACCESS_KEY": "s1", "AWS_SESSION_TOKEN": "t1"},
    )
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]) == (
        "ASIA1",
        "s1",
        "t1",
    )
    static = build_environment(
        make_config(), Settings(), runtime_api="a:1", log_stream="s", task_root="/code"
    )
    assert static["AWS_ACCESS_KEY_ID"] == "test" and "AWS_SESSION_TOKEN" not in static


def test_an_environment_starts_with_its_session(sink: FakeLogSink) -> None:
    async def credentials(config: Any) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": f"ASIA-{config.name}"}

    async def scenario() -> None:
        executor = FakeExecutor(lambda event: event)
        environment = ExecutionEnvironment(make_config("fn"), executor, sink, credentials)
        assert await environment.start() is None
        assert executor.credentials == {"AWS_ACCESS_KEY_ID": "ASIA-fn"}
        await environment.stop()

    asyncio.run(scenario())


def test_an_unassumable_role_fails_the_cold_start_and_says_why(sink: FakeLogSink) -> None:
    async def credentials(config: Any) -> dict[str, str]:
        raise RoleNotAssumable(NOT_ASSUMABLE)

    async def scenario() -> None:
        executor = FakeExecutor(lambda event: event)
        result = await ExecutionEnvironment(make_config("fn"), executor, sink, credentials).start()
        assert result is not None and result.status is InvocationStatus.FUNCTION_ERROR
        assert NOT_ASSUMABLE.encode() in result.payload
        assert executor.credentials is None  # the runtime never started

    asyncio.run(scenario())


def test_a_mapping_acts_with_one_session_per_function_role_and_a_new_one_when_the_role_changes() -> None:
    configs = {"fn": dataclasses.replace(make_config("fn"), role=ROLE)}
    issued: list[str] = []

    async def config_of(arn: str) -> Any:
        return configs.get(arn.rsplit(":", 1)[-1])

    async def credentials(config: Any) -> dict[str, str]:
        issued.append(config.role)
        return {"AWS_ACCESS_KEY_ID": f"ASIA{len(issued)}"}

    sessions = RoleSessions(
        config_of, credentials, lambda service, session: (service, session["AWS_ACCESS_KEY_ID"])
    )
    arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"

    async def scenario() -> list[Any]:
        seen = [(await sessions(arn))("dynamodbstreams"), (await sessions(arn))("sqs")]
        configs["fn"] = dataclasses.replace(configs["fn"], role=ROLE + "-2")
        seen.append((await sessions(arn))("dynamodbstreams"))
        with pytest.raises(LookupError, match=r"Function not found: .*:function:gone"):
            await sessions(arn.replace(":fn", ":gone"))
        return seen

    assert asyncio.run(scenario()) == [
        ("dynamodbstreams", "ASIA1"),
        ("sqs", "ASIA1"),
        ("dynamodbstreams", "ASIA2"),
    ]
    assert issued == [ROLE, ROLE + "-2"]


@pytest.mark.parametrize(("value", "mode"), [("enforce", "enforce"), ("LOG", "log"), ("", "off")])
def test_the_iam_mode_is_read_from_iam_mode(monkeypatch: pytest.MonkeyPatch, value: str, mode: str) -> None:
    monkeypatch.setenv("IAM_MODE", value)
    assert Settings.from_env().iam_mode == mode


def test_an_unknown_iam_mode_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAM_MODE", "strict")
    with pytest.raises(ValueError, match="IAM_MODE must be one of enforce, log, off, not 'strict'"):
        Settings.from_env()
