"""devstack's parts: port checks, PID handling, stack.env round trip, source digests."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from devstack import ports, processes, source_digests, stack_env
from devstack.config import StackConfig
from devstack.processes import Service


def test_port_in_use_error_names_the_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ports.PortInUseError, match=f"port {port} \\(moto\\)"):
            ports.ensure_free("127.0.0.1", port, "moto")


def test_free_ports_are_distinct() -> None:
    found = ports.free_ports("127.0.0.1", 4)
    assert len(set(found)) == 4


def test_stack_env_round_trips_values_with_spaces(tmp_path: Path) -> None:
    values = {"API_URL": "http://127.0.0.1:1", "LOG_DIR": str(tmp_path / "with space")}
    stack_env.write(tmp_path / "stack.env", values)
    assert stack_env.read(tmp_path / "stack.env") == values


def test_stack_values_name_functions_tables_and_access_log_group() -> None:
    outputs = {
        "api_id": "abc",
        "function_names": {"command": "c", "query": "q", "projector": "p"},
        "table_names": {"event_store": "e", "read_model": "r"},
    }
    values = stack_env.stack_values(StackConfig(environment="dev"), outputs)
    assert values["COMMAND_FUNCTION"] == "c" and values["READ_MODEL_TABLE"] == "r"
    assert values["ACCESS_LOG_GROUP"] == "/aws/apigateway/dev-books-api"
    assert values["API_URL"] == "http://127.0.0.1:4567"
    assert values["IAM_MODE"] == "enforce"


@pytest.mark.parametrize(("value", "mode"), [(None, "enforce"), ("log", "log"), ("OFF", "off")])
def test_the_stack_runs_functions_under_the_iam_mode_asked_for(
    monkeypatch: pytest.MonkeyPatch, value: str | None, mode: str
) -> None:
    if value is None:
        monkeypatch.delenv("IAM_MODE", raising=False)
    else:
        monkeypatch.setenv("IAM_MODE", value)
    config = StackConfig.from_env()
    assert config.iam_mode == mode
    from devstack.services import service_definitions

    assert {s.name: s.env["IAM_MODE"] for s in service_definitions(config) if s.name != "mock_idp"} == {
        "moto": mode,
        "emulator": mode,
    }


def test_an_unknown_iam_mode_stops_the_stack_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAM_MODE", "strict")
    with pytest.raises(SystemExit, match="IAM_MODE must be one of enforce, log, off, not 'strict'"):
        StackConfig.from_env()


def test_source_digest_changes_when_the_build_context_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "books").mkdir()
    (tmp_path / "functions" / "query").mkdir(parents=True)
    (tmp_path / "books" / "model.py").write_text("A = 1\n")
    (tmp_path / "functions" / "query" / "Dockerfile").write_text("FROM x\n")
    monkeypatch.setattr(source_digests, "SERVICES_DIR", tmp_path)

    before = source_digests.source_digest("query")
    assert before.startswith("sha256:") and len(before) == len("sha256:") + 64
    assert source_digests.source_digest("query") == before
    (tmp_path / "books" / "model.py").write_text("A = 2\n")
    assert source_digests.source_digest("query") != before


def test_start_records_pid_and_stop_leaves_nothing_listening(tmp_path: Path) -> None:
    port = ports.free_ports("127.0.0.1", 1)[0]
    service = Service(
        name="web",
        argv=[sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        health_url=f"http://127.0.0.1:{port}/",
        env={"PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    pid = processes.start(service, tmp_path / "pids", tmp_path / "logs", timeout=15)

    assert processes.read_pid(tmp_path / "pids" / "web.pid", "http.server") == pid
    assert processes.read_pid(tmp_path / "pids" / "web.pid", "some-other-service") is None
    processes.stop_pid(pid)
    assert not ports.is_listening("127.0.0.1", port)
    assert processes.read_pid(tmp_path / "pids" / "web.pid", "http.server") is None


def test_a_service_that_exits_is_a_start_error_with_its_log(tmp_path: Path) -> None:
    service = Service(
        name="broken",
        argv=[sys.executable, "-c", "import sys; sys.stderr.write('boom at startup'); sys.exit(3)"],
        health_url="http://127.0.0.1:9/",
        env={"PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    with pytest.raises(processes.StartError, match=r"exited with 3[\s\S]*boom at startup"):
        processes.start(service, tmp_path / "pids", tmp_path / "logs", timeout=10)
