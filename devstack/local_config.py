"""The copy of terraform/ that local runs apply: the repo's files plus a local-only provider override."""

from __future__ import annotations

import hashlib
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


def init_fingerprint(config_dir: Path, plugin_dir: str | None) -> str:
    """What `terraform init` reads: every *.tf / *.tf.json file (module blocks, providers, backend) and the
    provider mirror. Equal fingerprints mean a second init would change nothing."""
    digest = hashlib.sha256(f"plugin-dir={plugin_dir or ''}\0".encode())
    for path in sorted(
        p for p in config_dir.rglob("*") if p.name.endswith((".tf", ".tf.json")) and p.is_file()
    ):
        digest.update(str(path.relative_to(config_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    lock = config_dir / LOCK_FILE
    digest.update(lock.read_bytes() if lock.is_file() else b"<no lock file>")
    return digest.hexdigest()
