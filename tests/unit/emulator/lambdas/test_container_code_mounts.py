"""Live reload in Docker mode mounts each Python package of the build context over the image's copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.lambdas.executors.container_executor import code_mounts


@pytest.mark.parametrize(
    ("layout", "mounted"),
    [
        ({"books/__init__.py": "", "requirements.txt": "", "functions/command/Dockerfile": ""}, ["books"]),
        ({"b/__init__.py": "", "a/__init__.py": "", "notes/readme.md": ""}, ["a", "b"]),  # sorted
        ({"requirements.txt": ""}, []),  # no package: the image runs as built
    ],
)
def test_only_python_packages_of_the_context_are_mounted_read_only(
    tmp_path: Path, layout: dict[str, str], mounted: list[str]
) -> None:
    for name, text in layout.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    expected = [arg for pkg in mounted for arg in ("-v", f"{tmp_path / pkg}:/var/task/{pkg}:ro")]
    assert code_mounts(tmp_path) == expected
