"""The images' requirements come from pyproject's pins: names match whatever their spelling, unpinned is refused."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location(
    "pyproject_requirements", REPO_ROOT / "scripts" / "pyproject_requirements.py"
)
assert _spec and _spec.loader
requirements = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(requirements)

PYPROJECT = """
[project]
name = "x"
dependencies = ["PyJWT==2.15.1", "moto[server]==5.2.5", "requests>=2"]
"""


def test_names_match_whatever_their_case_extras_or_separators() -> None:
    lines = requirements.pinned_requirements(PYPROJECT, ["pyjwt", "moto"])
    assert lines == ["PyJWT==2.15.1", "moto[server]==5.2.5"]


def test_an_unknown_or_unpinned_name_is_refused_naming_both() -> None:
    with pytest.raises(ValueError, match=r"nope: not in \[project\]\.dependencies; requests: .* not pinned"):
        requirements.pinned_requirements(PYPROJECT, ["nope", "requests"])


def test_the_repository_pins_every_harness_dependency_the_images_install() -> None:
    text = (REPO_ROOT / "pyproject.toml").read_text()
    lines = requirements.pinned_requirements(text, ["aiohttp", "boto3", "moto", "pyjwt", "cryptography"])
    assert all("==" in line for line in lines)


def test_main_reports_errors_on_stderr_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    assert requirements.main([str(path), "requests"]) == 1
    assert "not pinned" in capsys.readouterr().err
    assert requirements.main([str(path), "pyjwt"]) == 0
    assert capsys.readouterr().out == "PyJWT==2.15.1\n"
