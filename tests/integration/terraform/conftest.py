"""Fixtures of the terraform/ tests: a throwaway copy of the config, so no test touches the repo's state."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devstack.config import REPO_ROOT

TERRAFORM_ROOT = REPO_ROOT / "terraform"
# Never copy a developer's state, caches, tfvars or backend switch into the copy under test.
NOT_COPIED = shutil.ignore_patterns(
    ".terraform", ".terraform.lock.hcl", "*.tfstate", "*.tfstate.*", "*_override.tf", "*.tfvars*"
)


def copy_terraform(dest: Path) -> Path:
    """Copy terraform/ (config only) to dest and return dest."""
    shutil.copytree(TERRAFORM_ROOT, dest, ignore=NOT_COPIED)
    return dest


@pytest.fixture
def terraform_copy(tmp_path: Path) -> Path:
    return copy_terraform(tmp_path / "terraform")
