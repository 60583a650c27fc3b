"""python -m devstack tf-validate: fmt -check, then init (offline mirror if TF_PLUGIN_DIR) and validate."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from devstack.config import REPO_ROOT
from devstack.terraform import LOCAL_FILES, Terraform, TerraformError

TERRAFORM_ROOT = REPO_ROOT / "terraform"
# Local-only files that must not leak into the throwaway copy (state, caches, a developer's S3 backend switch).
_NOT_COPIED = shutil.ignore_patterns(*LOCAL_FILES)


def configurations(root: Path = TERRAFORM_ROOT) -> list[Path]:
    """Root configurations to validate: terraform/ itself and terraform/bootstrap when it exists."""
    return [path for path in (root, root / "bootstrap") if (path / "versions.tf").is_file()]


def check_format(root: Path = TERRAFORM_ROOT) -> None:
    proc = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", "-no-color", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise TerraformError(f"terraform fmt -check found unformatted files:\n{proc.stdout}{proc.stderr}")


def validate(config_dir: Path, root: Path = TERRAFORM_ROOT) -> None:
    """Init and validate a copy of root (config_dir lies inside it), so the repo gets no lock file or .terraform/."""
    with tempfile.TemporaryDirectory(prefix="tf-validate-") as tmp:
        work = Path(tmp) / "config"
        shutil.copytree(root, work, ignore=_NOT_COPIED)
        config_copy = work / config_dir.relative_to(root)
        terraform = Terraform(
            config_dir=config_copy, state_path=Path(tmp) / "unused.tfstate", data_dir=Path(tmp) / "data"
        )
        terraform.init("-backend=false", "-input=false")
        terraform.validate()


def main() -> int:
    try:
        check_format()
        print("terraform fmt -check: ok")
        for config_dir in configurations():
            validate(config_dir)
            print(f"terraform validate {config_dir.relative_to(REPO_ROOT)}: ok")
    except TerraformError as exc:
        print(exc, file=sys.stderr)
        if "registry.terraform.io" in str(exc) and not os.environ.get("TF_PLUGIN_DIR"):
            print(
                "hint: offline? set TF_PLUGIN_DIR to a provider mirror, e.g. /opt/tf-plugins", file=sys.stderr
            )
        return 1
    return 0
