"""devstack.terraform's runner: a command past its timeout stops with a one-line reason; the mirror is found as make finds it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devstack.terraform import Terraform, TerraformError

# Stands in for terraform: prints a line, then hangs like an apply stuck in provider retries.
HANGING = (sys.executable, "-c", "import sys, time; print('Still modifying...', flush=True); time.sleep(60)")
FAILING = (sys.executable, "-c", "import sys; print('Error: boom', file=sys.stderr); sys.exit(1)")


def runner(tmp_path: Path, command: tuple[str, ...]) -> Terraform:
    return Terraform(
        config_dir=tmp_path, state_path=tmp_path / "s.tfstate", data_dir=tmp_path, command=command
    )


@pytest.mark.parametrize(
    ("call", "command", "message"),
    [
        ("apply", HANGING, r"terraform apply timed out after 1s; last lines:\nStill modifying\.\.\."),
        ("plan_changes", HANGING, r"terraform plan timed out after 1s"),
        ("apply", FAILING, r"terraform apply failed \(1\):[\s\S]*Error: boom"),
    ],
)
def test_a_command_past_its_timeout_or_failing_raises_with_its_last_lines(
    tmp_path: Path, call: str, command: tuple[str, ...], message: str
) -> None:
    with pytest.raises(TerraformError, match=message):
        getattr(runner(tmp_path, command), call)(timeout=1)


@pytest.mark.parametrize(
    ("environ", "mirror_exists", "expected"),
    [
        ({"TF_PLUGIN_DIR": "/mirror"}, True, "/mirror"),  # the variable wins
        ({}, True, "/opt/tf-plugins"),  # found by itself, as the Makefile finds it
        ({"TF_PLUGIN_DIR": ""}, False, None),  # the Makefile exports "" when there is none: the registry
        ({}, False, None),
    ],
)
def test_the_provider_mirror_is_found_without_make(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], mirror_exists: bool, expected: str | None
) -> None:
    from devstack import terraform

    monkeypatch.setattr(terraform.Path, "is_dir", lambda self: mirror_exists)
    assert terraform.plugin_dir_from_env(environ) == expected
