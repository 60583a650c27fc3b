"""The emulator's reload endpoint with real runtimes: the next invocation runs the code on disk, init errors show."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.integration.emulator.lambdas.conftest import ACCOUNT, aws
from tests.support.processes import free_ports, running


@pytest.fixture(scope="module")
def code_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("reload-code"))


@pytest.fixture(scope="module")
def lambda_url(moto_endpoint: str, code_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port, lambda_port = free_ports(2)
    env = {
        "EMULATOR_CONTROL_PLANE_URL": moto_endpoint,
        "EMULATOR_CODE_MAP": f"reload-*={code_dir}",
    }
    log_path = Path(tmp_path_factory.mktemp("reload-logs")) / "emulator.log"
    with running(
        ["-m", "emulator", "serve", "--port", str(port), "--lambda-port", str(lambda_port)],
        health_url=f"http://127.0.0.1:{lambda_port}/_emulator/health",
        log_path=log_path,
        env=env,
    ):
        yield f"http://127.0.0.1:{lambda_port}"


@pytest.fixture(scope="module")
def function(moto_endpoint: str, code_dir: Path) -> str:
    (code_dir / "live.py").write_text("def handler(event, context):\n    return 'one'\n")
    role = aws(moto_endpoint, "iam").create_role(
        RoleName=f"reload-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument="{}"
    )
    name = f"reload-{uuid.uuid4().hex[:8]}"
    aws(moto_endpoint, "lambda").create_function(
        FunctionName=name,
        Role=role["Role"]["Arn"],
        PackageType="Image",
        Code={"ImageUri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/reload-fn@sha256:{'0' * 64}"},
        ImageConfig={"Command": ["live.handler"]},
        Timeout=10,
    )
    return name


def _invoke(lambda_url: str, name: str) -> tuple[str | None, object]:
    response = requests.post(f"{lambda_url}/2015-03-31/functions/{name}/invocations", data=b"{}", timeout=30)
    return response.headers.get("X-Amz-Function-Error"), response.json()


def _reload(lambda_url: str, name: str) -> requests.Response:
    return requests.post(f"{lambda_url}/_emulator/functions/{name}/reload", timeout=30)


# Each version differs in size: Python's bytecode cache would take a same-size edit within a second for the old
# one (local-watch drops the cache of what changed; this test talks to the endpoint alone).
def test_a_reload_serves_the_new_code_and_shows_an_init_error_until_it_is_fixed(
    lambda_url: str, function: str, code_dir: Path
) -> None:
    source = code_dir / "live.py"
    assert _invoke(lambda_url, function) == (None, "one")
    source.write_text("def handler(event, context):\n    return 'second'\n")
    assert _invoke(lambda_url, function) == (None, "one"), "a warm environment keeps the code it loaded"

    reloaded = _reload(lambda_url, function)
    assert (
        reloaded.status_code == 200
        and reloaded.json()["retired"] == 1
        and reloaded.json()["init_error"] is None
    )
    assert _invoke(lambda_url, function) == (None, "second")

    source.write_text("def handler(event, context):\n    return 'three'\n  )\n")
    broken = _reload(lambda_url, function).json()
    assert broken["init_error"]["errorType"] == "Runtime.UserCodeSyntaxError"
    error, payload = _invoke(lambda_url, function)
    assert error == "Unhandled" and json.dumps(payload).count("Runtime.UserCodeSyntaxError") == 1

    source.write_text("def handler(event, context):\n    return 'fourth one'\n")
    assert _reload(lambda_url, function).json()["init_error"] is None
    assert _invoke(lambda_url, function) == (None, "fourth one")


def test_reloading_a_function_that_does_not_exist_is_lambdas_not_found(lambda_url: str) -> None:
    response = _reload(lambda_url, "reload-missing")
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
