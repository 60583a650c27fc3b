"""local-up runs terraform init while the services start, and applies only when both succeeded."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from devstack import stack_env, stale_state, up
from devstack.config import StackConfig
from devstack.processes import StartError
from devstack.terraform import TerraformError

INIT_FAILED = TerraformError("terraform init failed (1):\nError: no such provider")
START_FAILED = StartError("moto exited with 1; log moto.log")


@pytest.mark.parametrize(
    ("init_error", "start_error", "code", "applied", "err"),
    [
        pytest.param(None, None, 0, True, "", id="both succeed: apply"),
        pytest.param(
            INIT_FAILED, None, 1, False, f"local-up failed: {INIT_FAILED}\n", id="init fails: no apply"
        ),
        pytest.param(
            None, START_FAILED, 1, False, f"local-up failed: {START_FAILED}\n", id="a start fails: no apply"
        ),
    ],
)
def test_init_runs_while_the_services_start(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    init_error: Exception | None,
    start_error: Exception | None,
    code: int,
    applied: bool,
    err: str,
) -> None:
    services_starting = threading.Event()
    init_done = threading.Event()
    calls: list[str] = []

    def init_terraform(config: StackConfig) -> None:
        # Bounded: if init ran before the services (one after the other), this wait would fail the test.
        assert services_starting.wait(timeout=10), "init did not overlap the services' start"
        init_done.set()
        if init_error:
            raise init_error

    def start_services(config: StackConfig) -> None:
        services_starting.set()
        calls.append("services")
        if start_error:
            raise start_error

    def apply_terraform(config: StackConfig, jwt_issuer: str, initialised: bool = False) -> dict[str, object]:
        calls.append(f"apply initialised={initialised} init_done={init_done.is_set()}")
        return {"api_id": "api1"}

    monkeypatch.setattr(up, "init_terraform", init_terraform)
    monkeypatch.setattr(up, "start_services", start_services)
    monkeypatch.setattr(up, "apply_terraform", apply_terraform)
    monkeypatch.setattr(up, "wait_until_served", lambda config, api_id: None)
    monkeypatch.setattr(up, "print_summary", lambda config, jwt_issuer: None)
    monkeypatch.setattr(stale_state, "discard_if_lost", lambda config: None)
    monkeypatch.setattr(stack_env, "stack_values", lambda config, outputs, jwt_issuer: {})
    monkeypatch.setattr(stack_env, "write", lambda path, values: None)

    assert up.up(StackConfig(state_dir=tmp_path)) == code

    assert init_done.is_set()  # even when a start failed, init finished before local-up returned
    expected = ["services", "apply initialised=True init_done=True"] if applied else ["services"]
    assert calls == expected
    assert capsys.readouterr().err == err
