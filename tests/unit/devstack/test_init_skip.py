"""local-up skips terraform init when nothing init reads changed since the last successful one."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from devstack import local_config, up
from devstack.config import StackConfig


@dataclass
class FakeTerraform:
    config_dir: Path
    data_dir: Path
    plugin_dir: str | None = "/opt/tf-plugins"
    inits: int = 0
    fail: list[Exception] = field(default_factory=list)

    def init(self) -> None:
        if self.fail:
            raise self.fail.pop()
        self.inits += 1
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lock = self.config_dir / local_config.LOCK_FILE
        if not lock.exists():
            lock.write_text("# lock v1\n")


def edit(path: str, text: str = "\n# edited\n") -> Callable[[Path, FakeTerraform], None]:
    def change(source: Path, terraform: FakeTerraform) -> None:
        target = source / path
        target.write_text(target.read_text() + text)

    return change


def nothing(source: Path, terraform: FakeTerraform) -> None:
    return None


def lock_changed(source: Path, terraform: FakeTerraform) -> None:
    (terraform.config_dir / local_config.LOCK_FILE).write_text("# lock v2\n")


def plugin_dir_changed(source: Path, terraform: FakeTerraform) -> None:
    terraform.plugin_dir = "/elsewhere"


def data_dir_removed(source: Path, terraform: FakeTerraform) -> None:
    shutil.rmtree(terraform.data_dir)


@dataclass
class Setup:
    source: Path  # the terraform/ that local_config.prepare copies
    terraform: FakeTerraform
    config: StackConfig


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Setup:
    source = tmp_path / "terraform"
    shutil.copytree(Path(__file__).resolve().parents[3] / "terraform", source)
    terraform = FakeTerraform(tmp_path / "config", tmp_path / "data")
    real_prepare = local_config.prepare
    monkeypatch.setattr(local_config, "prepare", lambda dest: real_prepare(dest, source=source))
    monkeypatch.setattr(up, "terraform_for", lambda config: terraform)
    return Setup(source, terraform, StackConfig(state_dir=tmp_path / "state"))


@pytest.mark.parametrize(
    ("change", "inits"),
    [
        pytest.param(nothing, 1, id="nothing changed: skipped"),
        pytest.param(edit("README.md"), 1, id="a non-terraform file: skipped"),
        pytest.param(edit("main.tf"), 2, id="a root .tf file: init again"),
        pytest.param(edit("modules/ecr_repository/main.tf"), 2, id="a module's .tf file: init again"),
        pytest.param(lock_changed, 2, id="the lock file: init again"),
        pytest.param(plugin_dir_changed, 2, id="the provider mirror: init again"),
        pytest.param(data_dir_removed, 2, id="the data dir removed: init again"),
    ],
)
def test_init_runs_only_when_its_inputs_changed(
    setup: Setup, change: Callable[[Path, FakeTerraform], None], inits: int
) -> None:
    source, terraform, config = setup.source, setup.terraform, setup.config
    up.init_terraform(config)
    change(source, terraform)
    up.init_terraform(config)

    assert terraform.inits == inits


def test_a_failed_init_is_not_remembered(setup: Setup) -> None:
    source, terraform, config = setup.source, setup.terraform, setup.config
    up.init_terraform(config)
    edit("main.tf")(source, terraform)
    terraform.fail.append(RuntimeError("init failed"))

    with pytest.raises(RuntimeError):
        up.init_terraform(config)
    up.init_terraform(config)

    assert terraform.inits == 2  # the first, and the retry after the failure
