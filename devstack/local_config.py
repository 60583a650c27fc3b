"""The copy of terraform/ that local runs apply: the repo's files plus a local-only provider override."""

from __future__ import annotations

import shutil
from pathlib import Path

from devstack.config import REPO_ROOT
from devstack.terraform import LOCAL_FILES

# The provider retries a 500 up to 25 times with backoff (minutes). A local control plane that answered
# 500 will answer it again, so locally it gives up after 3 attempts. The provider 5.100.0 ignores
# AWS_MAX_ATTEMPTS (its requests say "max=25"), hence an override file; terraform/ itself stays as is.
OVERRIDE_NAME = "local_override.tf"
OVERRIDE = """# Written by devstack for local runs only (see devstack/local_config.py).
provider "aws" {
  max_retries = 3
}
"""
LOCK_FILE = ".terraform.lock.hcl"


def prepare(dest: Path, source: Path = REPO_ROOT / "terraform") -> Path:
    """Refresh dest as a copy of source's configuration with the override; keep dest's lock file."""
    lock = dest / LOCK_FILE
    kept = lock.read_text() if lock.is_file() else None
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*LOCAL_FILES))
    (dest / OVERRIDE_NAME).write_text(OVERRIDE)
    if kept is not None:
        lock.write_text(kept)
    return dest
