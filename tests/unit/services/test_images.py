"""The function images' Dockerfiles and pins, checked statically (no Docker engine needed)."""

from __future__ import annotations

import importlib
import json
import re
import tomllib
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[3] / "services"
PYPROJECT = SERVICES.parent / "pyproject.toml"
FUNCTIONS = ("command", "query", "projector")


def pins(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        match = (
            re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+)\s*", line.split("#")[0])
            if line.strip()
            else None
        )
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_every_requirement_is_pinned_and_boto_matches_pyproject() -> None:
    lines = [
        ln for ln in (SERVICES / "requirements.txt").read_text().splitlines() if ln.split("#")[0].strip()
    ]
    image = pins(lines)
    assert len(image) == len(lines), "every requirement must be pinned with =="
    project = pins(tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"])
    for name in ("boto3", "botocore"):
        assert image[name] == project[name]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_dockerfile_builds_from_the_base_image_arg_and_runs_the_contract_handler(function: str) -> None:
    text = (SERVICES / "functions" / function / "Dockerfile").read_text()
    instructions = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert instructions[0] == "ARG BASE_IMAGE=public.ecr.aws/lambda/python:3.12"
    assert instructions[1] == "FROM ${BASE_IMAGE}"
    assert "COPY books/ ${LAMBDA_TASK_ROOT}/books/" in instructions
    assert not re.search(r"\btests?/|pytest|gcc|build-essential", text)
    [cmd] = [ln for ln in instructions if ln.startswith("CMD ")]
    handler = json.loads(cmd.removeprefix("CMD "))
    assert handler == [f"books.entrypoints.{function}.handler"]
    module, _, name = handler[0].rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))
