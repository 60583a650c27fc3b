"""aws-deploy's prerequisite checks: each missing piece is a one-line error that says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import aws_deploy


def test_missing_digests_file_says_to_run_docker_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aws_deploy, "DIGESTS_FILE", tmp_path / "build" / "image_digests.json")
    monkeypatch.setattr(aws_deploy, "REPO_ROOT", tmp_path)
    with pytest.raises(aws_deploy.PrerequisiteError, match="run `make docker-delivery` first"):
        aws_deploy.read_digests()


def test_environment_name_rejects_what_cannot_prefix_aws_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENV", "pr 12; rm -rf")
    with pytest.raises(aws_deploy.PrerequisiteError, match="letters, digits"):
        aws_deploy.environment_name()
    monkeypatch.setenv("ENV", "pr-12")
    assert aws_deploy.environment_name() == "pr-12"


def test_missing_tool_and_missing_issuer_are_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(aws_deploy.PrerequisiteError, match="no-such-tool-xyz is not on PATH"):
        aws_deploy.check_tools("no-such-tool-xyz")
    monkeypatch.delenv("JWT_ISSUER", raising=False)
    with pytest.raises(aws_deploy.PrerequisiteError, match="JWT_ISSUER is not set"):
        aws_deploy.required("JWT_ISSUER")


def test_main_reports_a_prerequisite_error_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENV", "bad name")
    assert aws_deploy.main("deploy") == 1
    err = capsys.readouterr().err
    assert err.startswith("aws-deploy: ENV='bad name'") and "Traceback" not in err
    assert err.count("\n") == 1


def test_smoke_without_a_deployed_stack_says_to_deploy_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENV", "pr-7")
    monkeypatch.setenv("STACK_ENV", str(tmp_path / "elsewhere" / "stack.env"))
    monkeypatch.delenv("API_URL", raising=False)
    assert aws_deploy.main("smoke") == 1
    err = capsys.readouterr().err
    assert "run `make aws-deploy ENV=pr-7`" in err and "Traceback" not in err
