"""The pytest plugin's ephemeral path for real: a session with no stack starts one, uses it, leaves nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack import ephemeral, stack_env
from devstack.config import StackConfig

pytest_plugins = ["pytester"]

INNER = """
import json, os

def test_served(local_stack, api, token, aws_client):
    assert local_stack.started
    assert api.get("/v1/catalog/books").status_code == 200
    assert token(scope="books:write")
    assert aws_client("lambda").get_function(FunctionName=local_stack["QUERY_FUNCTION"])
    with open(os.environ["SEEN_STACK"], "w") as out:
        json.dump(local_stack.values, out)
"""


def test_a_session_without_a_stack_starts_one_and_leaves_no_process_or_port(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("STACK_ENV", "STACK_MODE", "JWT_ISSUER", *stack_env.OVERRIDES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOCAL_STATE_DIR", str(tmp_path / "no-stack-here"))
    monkeypatch.setenv("SEEN_STACK", str(tmp_path / "seen.json"))
    pytester.makepyfile(INNER)

    result = pytester.runpytest("-p", "devstack.pytest_plugin")

    result.assert_outcomes(passed=1)
    seen = json.loads((tmp_path / "seen.json").read_text())
    ports = [
        int(seen[key].rsplit(":", 1)[1]) for key in ("AWS_ENDPOINT_URL", "API_URL", "EMULATOR_LAMBDA_URL")
    ]
    idp = int(seen["ISSUER_URL"].rsplit(":", 1)[1])
    state_dir = Path(seen["LOG_DIR"]).parent
    config = StackConfig(state_dir=state_dir).with_ports(*ports, idp)
    assert ephemeral.leftovers(config) == []
