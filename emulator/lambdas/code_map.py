"""Maps a function's ECR image to the directory holding its code (the subprocess executor's task root)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

# <account>.dkr.ecr.<region>.amazonaws.com/<repository>[@sha256:<hex>|:<tag>]
_IMAGE_URI = re.compile(r"^(?:[^/]+)/(?P<repository>[^@:]+(?:/[^@:]+)*)(?:@(?P<digest>.+)|:(?P<tag>[^/]+))?$")


class CodeMapError(LookupError):
    """The image URI cannot be parsed, or no code map entry matches its repository."""


def repository_name(image_uri: str) -> str:
    """The ECR repository name in an image URI (digest or tag removed)."""
    match = _IMAGE_URI.match(image_uri.strip())
    if not match:
        raise CodeMapError(f"cannot parse a repository name from image URI {image_uri!r}")
    return match.group("repository")


def resolve_code_dir(image_uri: str, entries: list[tuple[str, str]], base_dir: Path) -> Path:
    """The first mapped directory whose fnmatch pattern matches the image's repository name."""
    repository = repository_name(image_uri)
    for pattern, directory in entries:
        if fnmatch.fnmatchcase(repository, pattern):
            path = Path(directory)
            resolved = path if path.is_absolute() else base_dir / path
            if not resolved.is_dir():
                raise CodeMapError(
                    f"code map entry {pattern}={directory} for {repository!r}: no such directory"
                )
            return resolved.resolve()
    raise CodeMapError(f"no code map entry matches ECR repository {repository!r} (EMULATOR_CODE_MAP)")
