"""Fixtures of the delivery tests: a local registry standing in for ECR, and the built images under a test prefix."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.processes import REPO_ROOT, free_port, stop
from tests.support.waits import wait_for_http

FUNCTIONS = ("command", "query", "projector")


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def _unavailable(reason: str) -> None:
    """make docker-test must fail when Docker is missing; a plain `pytest tests` run without it skips."""
    if os.environ.get("DOCKER_TEST_REQUIRED") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_engine() -> None:
    try:
        docker("info", timeout=20)
    except (OSError, subprocess.SubprocessError):
        _unavailable("the Docker engine does not answer: start it (CI: bash .ci/docker/install_engine.sh)")


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory, docker_engine: None) -> Iterator[str]:
    """Debian's docker-registry (distribution 2.x) on 127.0.0.1:<free port>, storage in a temp dir."""
    binary = shutil.which("docker-registry")
    if binary is None:
        _unavailable("docker-registry is not installed: apt-get install -y docker-registry")
    assert binary is not None
    work = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = work / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {work / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n  secret: {uuid.uuid4().hex}\n"
    )
    log_path = work / "registry.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        try:
            wait_for_http(f"http://127.0.0.1:{port}/v2/", status=200, timeout=20)
        except AssertionError:
            raise AssertionError(
                f"docker-registry did not answer; log:\n{log_path.read_text()[-3000:]}"
            ) from None
        yield f"127.0.0.1:{port}"
    finally:
        stop(proc)


@dataclass
class Delivery:
    """One delivery setup: image prefix, environment, digests file, and the tags to remove afterwards."""

    prefix: str
    env: str
    digests_file: Path
    version: str
    local_ids: dict[str, str]
    created_tags: set[str] = field(default_factory=set)

    def head_sha(self) -> str:
        return subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def tag_images(self, ids: dict[str, str] | None = None) -> None:
        """prefix/<fn>:<version> and :<version>-<HEAD sha>, as docker-build leaves them (re-done before each run,
        since other engineers may commit while the suite runs)."""
        sha = self.head_sha()
        for fn, image_id in (ids or self.local_ids).items():
            for tag in (self.version, f"{self.version}-{sha}"):
                ref = f"{self.prefix}/{fn}:{tag}"
                docker("tag", image_id, ref)
                self.created_tags.add(ref)

    def run_make(
        self, *args: str, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "IMAGE_PREFIX": self.prefix,
            "DIGESTS_FILE": str(self.digests_file),
            **(extra_env or {}),
        }
        return subprocess.run(
            ["make", "--no-print-directory", *args, f"ENV={self.env}"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )

    def digests(self) -> dict[str, str]:
        return dict(json.loads(self.digests_file.read_text())["image_digests"])


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory, docker_engine: None) -> Iterator[Delivery]:
    """The images `make docker-build` built, re-tagged under a test prefix, and a copy of the digests file:
    the tests never touch build/image_digests.json or the books-cqrs/* tags that `make local-up MODE=docker` uses."""
    version = (REPO_ROOT / "version.txt").read_text().strip()
    local_ids: dict[str, str] = {}
    for fn in FUNCTIONS:
        found = docker("image", "inspect", "--format", "{{.Id}}", f"books-cqrs/{fn}:{version}", check=False)
        if found.returncode != 0:
            pytest.fail(
                f"image books-cqrs/{fn}:{version} does not exist: run make docker-build", pytrace=False
            )
        local_ids[fn] = found.stdout.strip()
    suffix = uuid.uuid4().hex[:6]
    work = tmp_path_factory.mktemp("delivery")
    digests_file = work / "image_digests.json"
    digests_file.write_text(json.dumps({"image_digests": local_ids}) + "\n")
    setup = Delivery(f"books-cqrs-test-{suffix}", f"dt-{suffix}", digests_file, version, local_ids)
    setup.tag_images()
    try:
        yield setup
    finally:
        listed = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout.split()
        pushed_refs = {ref for ref in listed if f"/{setup.env}-books-" in ref}
        for ref in sorted(setup.created_tags | pushed_refs):
            docker("rmi", ref, check=False)
        shutil.rmtree(REPO_ROOT / ".deploy" / setup.env, ignore_errors=True)
