"""Fixtures shared by every suite: fake AWS credentials and a patched moto server on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import moto_server
from tests.support.summary import SECTIONS, add_section

# local_stack, api, token, aws_client (also an entry point once the package is installed).
pytest_plugins = ["devstack.pytest_plugin"]


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a test reach a real AWS account through ambient credentials."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Endpoint URL of a moto server process (python -m controlplane) shared by the session."""
    with moto_server(Path(tmp_path_factory.mktemp("moto-logs"))) as url:
        yield url


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker, hand the summary sections to the controller (workeroutput is xdist's channel)."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["summary_sections"] = SECTIONS


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    for title, lines in getattr(node, "workeroutput", {}).get("summary_sections", {}).items():
        add_section(title, lines)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for title, lines in SECTIONS.items():
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
