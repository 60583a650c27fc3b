"""Image digests for the embedded mode, taken from the functions' build context instead of a build."""

from __future__ import annotations

import hashlib
from pathlib import Path

from devstack.config import FUNCTIONS, REPO_ROOT

SERVICES_DIR = REPO_ROOT / "services"
_SKIP_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}


def _context_files(function: str) -> list[Path]:
    """What `docker build` of this function would see: the books package, requirements, its Dockerfile."""
    files = [p for p in (SERVICES_DIR / "books").rglob("*") if p.is_file() and not _SKIP_PARTS & set(p.parts)]
    files = [p for p in files if p.suffix not in {".pyc", ".pyo"}]
    files.append(SERVICES_DIR / "requirements.txt")
    files.append(SERVICES_DIR / "functions" / function / "Dockerfile")
    return sorted(p for p in files if p.exists())


def source_digest(function: str) -> str:
    """sha256 over the relative paths and contents of the function's build context."""
    digest = hashlib.sha256()
    for path in _context_files(function):
        digest.update(str(path.relative_to(SERVICES_DIR)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"sha256:{digest.hexdigest()}"


def source_digests() -> dict[str, str]:
    return {fn: source_digest(fn) for fn in FUNCTIONS}
