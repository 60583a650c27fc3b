"""make docker-delivery against a local registry standing in for ECR, then make aws-deploy against moto."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from tests.docker.conftest import FUNCTIONS, Delivery, docker
from tests.support.processes import REPO_ROOT, free_port, moto_server

pytestmark = pytest.mark.docker

MANIFEST_ACCEPT = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    )
)


def registry_digest(registry: str, name: str, tag: str) -> str | None:
    """Docker-Content-Digest the registry answers for HEAD /v2/<name>/manifests/<tag> (None: no such tag)."""
    response = requests.head(
        f"http://{registry}/v2/{name}/manifests/{tag}", headers={"Accept": MANIFEST_ACCEPT}, timeout=10
    )
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.status_code
    return response.headers["Docker-Content-Digest"]


def repo_digests(image: str) -> list[str]:
    return list(json.loads(docker("inspect", "--format", "{{json .RepoDigests}}", image).stdout))


def deliver(delivery: Delivery, registry: str) -> subprocess.CompletedProcess[str]:
    delivery.tag_images()
    return delivery.run_make("docker-delivery", f"REGISTRY={registry}")


@pytest.fixture(scope="module")
def first_delivery(delivery: Delivery, registry: str) -> dict[str, str]:
    result = deliver(delivery, registry)
    assert result.returncode == 0, result.stdout + result.stderr
    return delivery.digests()


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(Path(tmp_path_factory.mktemp("moto-logs"))) as url:
        yield url


def python_env() -> dict[str, str]:
    """What the Makefile gives `python -m devstack`: imports from the repo, the offline provider mirror if any."""
    mirror = "/opt/tf-plugins" if Path("/opt/tf-plugins").is_dir() else ""
    return {
        **os.environ,
        "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{REPO_ROOT / 'services'}",
        "TF_PLUGIN_DIR": os.environ.get("TF_PLUGIN_DIR", mirror),
    }


def aws_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        # Nothing fetches the issuer's discovery document here (moto does not); any well-formed URL will do.
        "JWT_ISSUER": f"http://127.0.0.1:{free_port()}",
    }


def test_delivery_records_the_registry_digests_of_the_pushed_images(
    delivery: Delivery, registry: str, first_delivery: dict[str, str]
) -> None:
    assert set(first_delivery) == set(FUNCTIONS)
    for fn in FUNCTIONS:
        repository = f"{registry}/{delivery.env}-books-{fn}"
        digest = first_delivery[fn]
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
        # A registry digest, not the local image ID that docker-build wrote.
        assert digest != delivery.local_ids[fn]
        assert f"{repository}@{digest}" in repo_digests(delivery.local_ids[fn])
    # Both tags, as the delivery recorded them (HEAD may move while the suite runs: others commit meanwhile).
    pushed = json.loads((delivery.digests_file.parent / "pushed_images.json").read_text())["images"]
    for fn in FUNCTIONS:
        version_tag, sha_tag = pushed[fn]["tags"]
        assert version_tag == delivery.version
        assert re.fullmatch(rf"{re.escape(delivery.version)}-[0-9a-f]{{12}}(-dirty)?", sha_tag)
        for tag in (version_tag, sha_tag):
            assert registry_digest(registry, f"{delivery.env}-books-{fn}", tag) == first_delivery[fn]
    assert {fn: pushed[fn]["image_uri"] for fn in FUNCTIONS} == {
        fn: f"{registry}/{delivery.env}-books-{fn}@{first_delivery[fn]}" for fn in FUNCTIONS
    }


def test_delivering_the_same_images_again_changes_nothing(
    delivery: Delivery, registry: str, first_delivery: dict[str, str]
) -> None:
    result = deliver(delivery, registry)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "already holds this image" in result.stdout
    assert delivery.digests() == first_delivery


def test_a_changed_image_under_an_existing_version_tag_is_refused(
    delivery: Delivery, registry: str, first_delivery: dict[str, str], tmp_path: Path
) -> None:
    # Same layers, one more label: a different image config, so different content under the same tags.
    (tmp_path / "Dockerfile").write_text(
        f"FROM {delivery.local_ids['command']}\nLABEL org.books-cqrs.test-change={delivery.env}\n"
    )
    changed_ref = f"{delivery.prefix}/changed:{delivery.env}"
    docker("build", "-q", "-t", changed_ref, str(tmp_path), timeout=300)
    delivery.created_tags.add(changed_ref)
    changed_id = docker("image", "inspect", "--format", "{{.Id}}", changed_ref).stdout.strip()
    assert changed_id != delivery.local_ids["command"]
    delivery.tag_images({"command": changed_id})
    try:
        result = delivery.run_make("docker-delivery", f"REGISTRY={registry}")
    finally:
        delivery.tag_images()

    assert result.returncode != 0
    assert (
        f"{delivery.env}-books-command:{delivery.version} already exists with different content"
        in result.stderr
    )
    assert "nothing was pushed" in result.stderr
    name = f"{delivery.env}-books-command"
    assert registry_digest(registry, name, delivery.version) == first_delivery["command"]
    assert delivery.digests() == first_delivery


def test_aws_ecr_creates_the_repositories_and_reports_their_urls(delivery: Delivery, moto: str) -> None:
    result = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "python"), "-m", "devstack", "aws-ecr"],
        cwd=REPO_ROOT,
        env={**python_env(), **aws_env(moto), "ENV": delivery.env},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    urls = json.loads(result.stdout.strip().splitlines()[-1])
    assert sorted(urls) == sorted(FUNCTIONS)
    ecr = boto3.client("ecr", endpoint_url=moto, region_name="us-east-1")
    repositories = {repo["repositoryName"]: repo for repo in ecr.describe_repositories()["repositories"]}
    for fn in FUNCTIONS:
        repository = repositories[f"{delivery.env}-books-{fn}"]
        assert urls[fn] == repository["repositoryUri"]
        assert repository["imageTagMutability"] == "IMMUTABLE"
    # Only the repositories (and their key): no function exists yet.
    functions = boto3.client("lambda", endpoint_url=moto, region_name="us-east-1").list_functions()[
        "Functions"
    ]
    assert not [f for f in functions if f["FunctionName"].startswith(f"{delivery.env}-books-")]


def test_aws_deploy_runs_exactly_the_pushed_digests_and_a_rerun_is_a_no_op(
    delivery: Delivery, first_delivery: dict[str, str], moto: str
) -> None:
    env = aws_env(moto)
    deployed = delivery.run_make("aws-deploy", extra_env=env)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr

    lam = boto3.client("lambda", endpoint_url=moto, region_name="us-east-1")
    for fn in FUNCTIONS:
        name = f"{delivery.env}-books-{fn}"
        assert lam.get_function_configuration(FunctionName=name)["PackageType"] == "Image"
        # GetFunctionConfiguration carries no image URI (in AWS either); GetFunction's Code does. ImageUri, not
        # ResolvedImageUri, which moto 5.2.5 returns malformed (see /work/shared/MOTO.md).
        image_uri = lam.get_function(FunctionName=name)["Code"]["ImageUri"]
        assert image_uri.endswith(f"/{name}@{first_delivery[fn]}"), image_uri

    again = delivery.run_make("aws-deploy", extra_env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"aws-deploy {delivery.env}: no changes" in again.stdout
