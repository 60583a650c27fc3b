"""python -m devstack tf-validate catches what it is for: unformatted files and invalid references."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.terraform import TerraformError
from devstack.tf_validate import check_format, configurations, validate


def test_validate_accepts_the_repository_config(terraform_copy: Path) -> None:
    validate(terraform_copy, root=terraform_copy)


def test_validate_reports_a_reference_to_an_undeclared_variable(terraform_copy: Path) -> None:
    with (terraform_copy / "outputs.tf").open("a") as outputs:
        outputs.write('\noutput "broken" {\n  description = "x"\n  value       = var.not_declared\n}\n')
    with pytest.raises(TerraformError, match="not_declared"):
        validate(terraform_copy, root=terraform_copy)


def test_fmt_check_reports_an_unformatted_file(terraform_copy: Path) -> None:
    check_format(terraform_copy)
    (terraform_copy / "locals_extra.tf").write_text('locals {\nx="unaligned"\n}\n')
    with pytest.raises(TerraformError, match=r"locals_extra\.tf"):
        check_format(terraform_copy)


def test_bootstrap_is_validated_only_when_it_exists(terraform_copy: Path) -> None:
    assert configurations(terraform_copy) == [terraform_copy] + (
        [terraform_copy / "bootstrap"] if (terraform_copy / "bootstrap").exists() else []
    )
    (terraform_copy / "bootstrap").mkdir(exist_ok=True)
    (terraform_copy / "bootstrap" / "versions.tf").write_text("terraform {}\n")
    assert configurations(terraform_copy) == [terraform_copy, terraform_copy / "bootstrap"]
