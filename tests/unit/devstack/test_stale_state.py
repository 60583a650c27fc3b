"""devstack notices a control plane that lost what the Terraform state names, and discards that state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devstack import stale_state
from devstack.config import StackConfig


def _resource(kind: str, name: str, resource_id: str, module: str | None = None) -> dict[str, Any]:
    resource = {
        "mode": "managed",
        "type": kind,
        "name": name,
        "instances": [{"attributes": {"id": resource_id}}],
    }
    return {**resource, "module": module} if module else resource


STATE = {
    "version": 4,
    "resources": [
        _resource("aws_apigatewayv2_api", "this", "abc123", module="module.api"),
        _resource("aws_dynamodb_table", "events", "local-books-events"),
        _resource("aws_lambda_function", "this", "local-books-query", module="module.query"),
        _resource("aws_iam_role", "this", "local-role"),  # not probed
        {
            "mode": "data",
            "type": "aws_dynamodb_table",
            "name": "d",
            "instances": [{"attributes": {"id": "x"}}],
        },
    ],
}


@pytest.mark.parametrize(
    ("present", "gone"),
    [
        ({"abc123", "local-books-events", "local-books-query"}, []),
        ({"local-books-events", "local-books-query"}, ["module.api.aws_apigatewayv2_api.this"]),
        ({"abc123", "local-books-query"}, ["aws_dynamodb_table.events"]),
        (
            set(),
            [
                "module.api.aws_apigatewayv2_api.this",
                "aws_dynamodb_table.events",
                "module.query.aws_lambda_function.this",
            ],
        ),
    ],
    ids=["all there", "api gone", "table gone", "everything gone"],
)
def test_missing_names_the_state_resources_the_control_plane_lacks(
    present: set[str], gone: list[str]
) -> None:
    asked: list[tuple[str, str]] = []

    def exists(kind: str, resource_id: str) -> bool:
        asked.append((kind, resource_id))
        return resource_id in present

    assert stale_state.missing(STATE, exists) == gone
    assert {kind for kind, _ in asked} == {
        "aws_apigatewayv2_api",
        "aws_dynamodb_table",
        "aws_lambda_function",
    }


def _config(tmp_path: Path, state: dict[str, Any] | None) -> StackConfig:
    config = StackConfig(state_dir=tmp_path)
    if state is not None:
        config.terraform_dir.mkdir(parents=True)
        (config.terraform_dir / "terraform.tfstate").write_text(json.dumps(state))
    return config


@pytest.mark.parametrize(
    ("state", "present", "discarded", "printed"),
    [
        (STATE, {"abc123", "local-books-events", "local-books-query"}, False, ""),
        (STATE, {"local-books-events"}, True, f"[local-up] {stale_state.RESTARTED}\n"),
        (None, set(), False, ""),
        ({"version": 4, "resources": []}, set(), False, ""),
    ],
    ids=["intact", "lost", "no state", "empty state"],
)
def test_discard_if_lost_says_one_line_and_deletes_only_a_stale_state(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    state: dict[str, Any] | None,
    present: set[str],
    discarded: bool,
    printed: str,
) -> None:
    config = _config(tmp_path, state)
    assert stale_state.discard_if_lost(config, lambda _kind, rid: rid in present) is discarded
    assert (config.terraform_dir / "terraform.tfstate").exists() is (state is not None and not discarded)
    assert capsys.readouterr().out == printed


def test_a_control_plane_that_cannot_be_asked_is_a_one_line_error(tmp_path: Path) -> None:
    def broken(_kind: str, _rid: str) -> bool:
        raise ConnectionRefusedError(111, "Connection refused")

    with pytest.raises(stale_state.StateCheckError, match="could not compare the Terraform state"):
        stale_state.discard_if_lost(_config(tmp_path, STATE), broken)
