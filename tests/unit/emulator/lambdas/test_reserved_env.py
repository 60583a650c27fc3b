import pytest

from emulator.config import Settings
from emulator.lambdas.function_registry import FunctionConfig
from emulator.lambdas.reserved_env import build_environment


def _config(**env: str) -> FunctionConfig:
    return FunctionConfig(
        name="local-books-query",
        arn="arn:aws:lambda:us-east-1:123456789012:function:local-books-query",
        image_uri="1.dkr.ecr.us-east-1.amazonaws.com/local-books-query:1",
        handler="books.entrypoints.query.handler",
        environment=env,
        timeout=7,
        memory_size=512,
    )


def test_reserved_variables_are_set(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(control_plane_url="http://127.0.0.1:5999", region="eu-west-1")
    env = build_environment(
        _config(READ_MODEL_TABLE="rm"),
        settings,
        runtime_api="127.0.0.1:40001",
        log_stream="2024/01/02/[$LATEST]abc",
        task_root="/code",
    )
    assert env["READ_MODEL_TABLE"] == "rm"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "local-books-query"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["_HANDLER"] == "books.entrypoints.query.handler"
    assert env["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:40001"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/local-books-query"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == "2024/01/02/[$LATEST]abc"
    assert env["LAMBDA_TASK_ROOT"] == env["PYTHONPATH"] == "/code"
    assert env["TZ"] == ":UTC"
    assert env["AWS_ACCESS_KEY_ID"] == "test" and env["AWS_SECRET_ACCESS_KEY"] == "test"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5999"
    assert env["AWS_EXECUTION_ENV"].startswith("AWS_Lambda_")
    assert "PATH" in env and "LANG" in env


def test_the_emulators_own_environment_does_not_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMULATOR_SECRET", "do-not-leak")
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("HOME", "/home/someone")
    env = build_environment(_config(), Settings(), runtime_api="a:1", log_stream="s", task_root="/code")
    assert "EMULATOR_SECRET" not in env
    assert "AWS_PROFILE" not in env
    assert "HOME" not in env


def test_function_endpoint_url_overrides_control_plane_url() -> None:
    settings = Settings(
        control_plane_url="http://127.0.0.1:4566", function_endpoint_url="http://host.docker.internal:4566"
    )
    env = build_environment(_config(), settings, runtime_api="a:1", log_stream="s", task_root="/code")
    assert env["AWS_ENDPOINT_URL"] == "http://host.docker.internal:4566"


def test_function_variables_cannot_override_reserved_ones() -> None:
    env = build_environment(
        _config(AWS_LAMBDA_FUNCTION_NAME="spoof", AWS_REGION="mars-1", LOG_LEVEL="DEBUG"),
        Settings(),
        runtime_api="a:1",
        log_stream="s",
        task_root="/code",
    )
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "local-books-query"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["LOG_LEVEL"] == "DEBUG"
