"""Print the pinned pyproject.toml dependencies named on the command line, as a requirements file.

Docker builds use it so the harness images install exactly the pins in [project].dependencies, kept in one place:
    python pyproject_requirements.py pyproject.toml aiohttp boto3 'moto[server]' > requirements.txt
A name matches a dependency whatever its extras and spelling (PyJWT == pyjwt); an unknown or unpinned name is an
error, so an image can never silently install an unpinned release.
"""

from __future__ import annotations

import re
import sys
import tomllib

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normalise(name: str) -> str:
    match = _NAME.match(name)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def pinned_requirements(pyproject_text: str, names: list[str]) -> list[str]:
    """The dependency lines for `names`, in the order asked; ValueError if one is missing or not `==`-pinned."""
    dependencies = tomllib.loads(pyproject_text)["project"]["dependencies"]
    by_name = {_normalise(line): line for line in dependencies}
    lines, problems = [], []
    for name in names:
        line = by_name.get(_normalise(name))
        if line is None:
            problems.append(f"{name}: not in [project].dependencies")
        elif "==" not in line:
            problems.append(f"{name}: {line!r} is not pinned with ==")
        else:
            lines.append(line)
    if problems:
        raise ValueError("; ".join(problems))
    return lines


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write(f"usage: {__doc__.splitlines()[3].strip()}\n")
        return 2
    path, names = argv[0], argv[1:]
    try:
        with open(path, encoding="utf-8") as handle:
            lines = pinned_requirements(handle.read(), names)
    except (OSError, KeyError, tomllib.TOMLDecodeError, ValueError) as error:
        sys.stderr.write(f"pyproject_requirements: {path}: {error}\n")
        return 1
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
