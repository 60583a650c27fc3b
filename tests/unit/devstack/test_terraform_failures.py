"""Local Terraform runs fail in one line naming resource, call and recovery, and never run unbounded."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devstack import local_config
from devstack.terraform import Terraform, TerraformError
from devstack.terraform_errors import control_plane_failure


def _diagnostic(
    summary: str, address: str = "module.http_api.aws_apigatewayv2_stage.this", doing: str = "Modifying"
) -> str:
    return f"{address}: {doing}...\n\nError: {summary}\n\n  with {address},\n  on main.tf line 82:\n"


UPDATE_STAGE_501 = (
    "updating API Gateway v2 Stage ($default): operation error ApiGatewayV2: UpdateStage, https response error"
    " StatusCode: 501, RequestID: x, api error NotImplemented: UpdateStage is not implemented"
)
PUT_ITEM_500 = (
    "creating DynamoDB Table Item: operation error DynamoDB: PutItem, exceeded maximum number of attempts, 3,"
    " https response error StatusCode: 500, RequestID: x, api error InternalFailure: boom"
)


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        pytest.param(
            _diagnostic(UPDATE_STAGE_501),
            "module.http_api.aws_apigatewayv2_stage.this: ApiGatewayV2 UpdateStage is not implemented by the local"
            " control plane (moto): `make local-down && make local-up` recreates the local stack from scratch"
            " (creating it needs no UpdateStage), or revert the change to module.http_api.aws_apigatewayv2_stage.this"
            "; terraform output: .local/logs/terraform.log",
            id="update-not-implemented",
        ),
        pytest.param(
            _diagnostic(
                UPDATE_STAGE_501.replace("UpdateStage", "CreateStage"), "aws_apigatewayv2_stage.x", "Creating"
            ),
            "aws_apigatewayv2_stage.x: ApiGatewayV2 CreateStage is not implemented by the local control plane (moto):"
            " the local stack cannot have aws_apigatewayv2_stage.x: leave it out locally, or add CreateStage to"
            " controlplane/; terraform output: .local/logs/terraform.log",
            id="create-not-implemented",
        ),
        pytest.param(
            _diagnostic(
                UPDATE_STAGE_501.replace("UpdateStage", "DeleteStage"),
                "aws_apigatewayv2_stage.x",
                "Destroying",
            ),
            "aws_apigatewayv2_stage.x: ApiGatewayV2 DeleteStage is not implemented by the local control plane (moto):"
            " `make local-down && make local-up` recreates the local stack from scratch;"
            " terraform output: .local/logs/terraform.log",
            id="delete-not-implemented",
        ),
        pytest.param(
            _diagnostic(PUT_ITEM_500, "aws_dynamodb_table_item.x") + _diagnostic(UPDATE_STAGE_501),
            "aws_dynamodb_table_item.x: DynamoDB PutItem failed in the local control plane (moto) with HTTP 500 after"
            " 3 attempts: see its log; `make local-down && make local-up` recreates the local stack from scratch"
            " (and 1 more errors); terraform output: .local/logs/terraform.log",
            id="retried-500-first-of-two",
        ),
        pytest.param(
            _diagnostic(
                "creating IAM Role: operation error IAM: CreateRole, https response error StatusCode: 409"
            ),
            None,
            id="client-error-is-not-the-control-plane",
        ),
        pytest.param(_diagnostic('Invalid value for variable "image_digests"'), None, id="validation-error"),
    ],
)
def test_a_control_plane_failure_becomes_one_line(output: str, expected: str | None) -> None:
    assert control_plane_failure(output, ".local/logs/terraform.log") == expected


def _fake_terraform(tmp_path: Path, script: str, **kwargs: object) -> Terraform:
    return Terraform(
        config_dir=tmp_path,
        state_path=None,
        data_dir=tmp_path / "data",
        command=(sys.executable, "-c", script),
        log_path=tmp_path / "terraform.log",
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_local_failure_raises_the_one_line_and_keeps_the_whole_output(tmp_path: Path) -> None:
    script = f"import sys; print({_diagnostic(UPDATE_STAGE_501)!r}, file=sys.stderr); sys.exit(1)"
    terraform = _fake_terraform(tmp_path, script, local=True)
    with pytest.raises(TerraformError) as raised:
        terraform.apply()
    assert str(raised.value).startswith(
        "module.http_api.aws_apigatewayv2_stage.this: ApiGatewayV2 UpdateStage"
    )
    assert "\n" not in str(raised.value)
    assert "RequestID: x" in raised.value.output
    assert "operation error ApiGatewayV2" in (tmp_path / "terraform.log").read_text()


def test_a_failure_outside_the_local_stack_keeps_terraforms_output(tmp_path: Path) -> None:
    script = f"import sys; print({_diagnostic(UPDATE_STAGE_501)!r}, file=sys.stderr); sys.exit(1)"
    with pytest.raises(TerraformError, match=r"terraform apply failed \(1\):\n(.|\n)*operation error"):
        _fake_terraform(tmp_path, script).apply()


def test_a_command_past_its_timeout_is_stopped_with_a_clear_message(tmp_path: Path) -> None:
    terraform = _fake_terraform(tmp_path, "import time; time.sleep(60)", timeout=0.5, local=True)
    with pytest.raises(TerraformError, match=r"^terraform apply did not finish within 0.5s and was stopped"):
        terraform.apply()


def test_the_local_copy_adds_only_the_override_and_keeps_the_lock_file(tmp_path: Path) -> None:
    source = tmp_path / "terraform"
    (source / "modules" / "m").mkdir(parents=True)
    (source / "main.tf").write_text("# main\n")
    (source / "modules" / "m" / "main.tf").write_text("# module\n")
    (source / "dev.tfvars.json").write_text("{}")  # a developer's local file: never copied
    dest = tmp_path / "copy"
    local_config.prepare(dest, source)
    (dest / local_config.LOCK_FILE).write_text("# lock\n")
    (source / "main.tf").write_text("# main, edited\n")

    local_config.prepare(dest, source)

    files = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert files == [local_config.LOCK_FILE, local_config.OVERRIDE_NAME, "main.tf", "modules/m/main.tf"]
    assert (dest / "main.tf").read_text() == "# main, edited\n"
    assert "max_retries = 3" in (dest / local_config.OVERRIDE_NAME).read_text()
