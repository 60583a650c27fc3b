"""kill -9 moto under traffic -> the gateway answers 503; moto back empty -> nothing served, devstack re-creates.

Real processes on free ports: `python -m controlplane` (killed and started again on the same port) and
`python -m emulator serve`. The full `make local-up` cycle is a manual check (emulator/README.md); here
devstack's detection runs against the restarted moto with a Terraform state naming what the old one had.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack import stale_state
from devstack.config import StackConfig
from tests.integration.emulator.lambdas.conftest import aws
from tests.support.processes import free_port, free_ports, running
from tests.support.waits import wait_for

MOTO_PORT = free_port()
MOTO = f"http://127.0.0.1:{MOTO_PORT}"


def _moto(stack: ExitStack, log_dir: Path) -> Any:
    args = ["-m", "controlplane", "--host", "127.0.0.1", "--port", str(MOTO_PORT)]
    return stack.enter_context(running(args, health_url=f"{MOTO}/moto-api/", log_path=log_dir / "moto.log"))


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[ExitStack, Any, str, str]]:
    """moto (its own, so killing it disturbs no other suite) and an emulator refreshing every 0.5 s."""
    with ExitStack() as moto_stack, ExitStack() as emulator_stack:
        moto = _moto(moto_stack, tmp_path)
        port, lambda_port = free_ports(2)
        env = {
            "EMULATOR_CONTROL_PLANE_URL": MOTO,
            "EMULATOR_PORT": str(port),
            "EMULATOR_LAMBDA_PORT": str(lambda_port),
            "EMULATOR_REFRESH_SECONDS": "0.5",
        }
        emulator_stack.enter_context(
            running(
                ["-m", "emulator", "serve"],
                health_url=f"http://127.0.0.1:{lambda_port}/_emulator/health",
                log_path=tmp_path / "emulator.log",
                env=env,
                timeout=60,
            )
        )
        yield moto_stack, moto, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{lambda_port}/_emulator/health"


def _deploy() -> dict[str, str]:
    """What Terraform would have made, in short: an HTTP API with a $default stage, a table."""
    gateway = aws(MOTO, "apigatewayv2")
    api_id = gateway.create_api(Name="restart-test", ProtocolType="HTTP")["ApiId"]
    gateway.create_route(ApiId=api_id, RouteKey="GET /books")
    gateway.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    aws(MOTO, "dynamodb").create_table(
        TableName="restart-test-events",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return {"api_id": api_id, "table": "restart-test-events"}


def _state(names: dict[str, str]) -> dict[str, Any]:
    def resource(kind: str, resource_id: str) -> dict[str, Any]:
        return {
            "mode": "managed",
            "type": kind,
            "name": "this",
            "instances": [{"attributes": {"id": resource_id}}],
        }

    return {
        "version": 4,
        "resources": [
            resource("aws_apigatewayv2_api", names["api_id"]),
            resource("aws_dynamodb_table", names["table"]),
        ],
    }


def test_kill_9_moto_is_503_then_an_empty_moto_serves_nothing_and_devstack_discards_the_state(
    stack: tuple[ExitStack, Any, str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moto_stack, moto, gateway, health_url = stack
    names = _deploy()
    config = StackConfig(moto_port=MOTO_PORT, state_dir=tmp_path / "local")
    config.terraform_dir.mkdir(parents=True)
    state_path = config.terraform_dir / "terraform.tfstate"
    state_path.write_text(json.dumps(_state(names)))

    def health() -> dict[str, Any]:
        return dict(requests.get(health_url, timeout=5).json())

    wait_for(lambda: names["api_id"] in health()["apis"], timeout=20, what="the emulator serving the API")
    assert requests.get(f"{gateway}/books", timeout=10).status_code != 503
    assert stale_state.discard_if_lost(config) is False  # moto still has it all: the state is kept

    os.killpg(moto.pid, signal.SIGKILL)  # kill -9, while the probe below keeps sending requests
    moto.wait(10)
    # A probe every 50 ms is the traffic; a Response is falsy for 5xx, so the probe answers with a tuple.
    _status, body = wait_for(
        lambda: (r := requests.get(f"{gateway}/books", timeout=10)).status_code == 503 and (503, r.json()),
        timeout=15,
        what="503 from the gateway after moto died",
    )
    assert body == {"message": "Service Unavailable"}
    down = health()
    assert (down["status"], down["control_plane"]["reachable"]) == ("degraded", False)
    assert down["control_plane"]["last_refresh"] and down["control_plane"]["last_error"]

    moto_stack.close()
    _moto(moto_stack, tmp_path)  # the same port, no data
    back = wait_for(
        lambda: (h := health())["control_plane"]["reachable"] and h, timeout=20, what="reachable again"
    )
    assert back["status"] == "ok" and back["apis"] == {}
    empty = requests.get(f"{gateway}/books", timeout=10)
    assert (empty.status_code, empty.json()) == (404, {"message": "Not Found"})

    assert stale_state.discard_if_lost(config) is True
    assert capsys.readouterr().out == f"[local-up] {stale_state.RESTARTED}\n"
    assert not state_path.exists()
    assert aws(MOTO, "logs").describe_log_groups()["logGroups"] == []  # the emulator re-created nothing
