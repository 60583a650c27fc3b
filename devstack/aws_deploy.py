"""make aws-deploy / aws-smoke / aws-destroy / docker-delivery's aws-ecr: terraform/ applied per ENV."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from devstack import stack_env
from devstack.config import REPO_ROOT
from devstack.terraform import LOCAL_FILES, Terraform, TerraformError

DIGESTS_FILE = REPO_ROOT / "build" / "image_digests.json"
# The ECR repositories (and the KMS key they are encrypted with, which -target pulls in as a dependency).
ECR_TARGET = "module.ecr"
# Stand-ins for variables the ECR resources never read, so creating the repositories needs neither an issuer
# nor built images; the full apply (aws-deploy) passes the real values.
_ECR_PLACEHOLDER_ISSUER = "https://issuer.invalid"
_ECR_PLACEHOLDER_DIGEST = "sha256:" + "0" * 64
_NOT_COPIED = shutil.ignore_patterns(*LOCAL_FILES, "bootstrap")


class PrerequisiteError(RuntimeError):
    """Something the target needs is missing; the message says what to do."""


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name) or default


def environment_name() -> str:
    name = _env("ENV", "dev")
    if not name.replace("-", "").isalnum() or len(name) > 20:
        raise PrerequisiteError(f"ENV={name!r}: use letters, digits and '-', at most 20 characters")
    return name


def region() -> str:
    return _env("AWS_REGION", _env("AWS_DEFAULT_REGION", "us-east-1"))


def deploy_dir(env: str) -> Path:
    return REPO_ROOT / ".deploy" / env


def check_tools(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            raise PrerequisiteError(f"{tool} is not on PATH: install it first (see README: Deploy to AWS)")


def check_credentials() -> str:
    """The account id the credentials belong to (or the local control plane's)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        sts = boto3.client("sts", region_name=region())
        return str(sts.get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as exc:
        raise PrerequisiteError(
            f"no usable AWS credentials ({exc.__class__.__name__}): configure a profile, or run where an "
            "OIDC role is assumed (see README: Deploy to AWS)"
        ) from None


def digests_file() -> Path:
    """build/image_digests.json, or DIGESTS_FILE (the delivery test points both sides at a copy)."""
    override = _env("DIGESTS_FILE")
    if not override:
        return DIGESTS_FILE
    return Path(override) if Path(override).is_absolute() else REPO_ROOT / override


def read_digests() -> dict[str, str]:
    path = digests_file()
    if not path.is_file():
        raise PrerequisiteError(f"{path} is missing: run `make docker-delivery` first")
    try:
        return dict(json.loads(path.read_text())["image_digests"])
    except (ValueError, KeyError, TypeError):
        raise PrerequisiteError(
            f'{path} is not {{"image_digests": {{...}}}}: run `make docker-build` and `make docker-delivery`'
        ) from None


def required(name: str) -> str:
    value = _env(name)
    if not value:
        raise PrerequisiteError(f"{name} is not set: export it (see README: Deploy to AWS)")
    return value


def terraform_for(env: str) -> Terraform:
    """A copy of terraform/ under .deploy/<env>/, with the S3 backend switched on when BACKEND_CONFIG is set."""
    work = deploy_dir(env)
    config = work / "terraform"
    if config.exists():
        shutil.rmtree(config)
    shutil.copytree(REPO_ROOT / "terraform", config, ignore=_NOT_COPIED)
    backend = _env("BACKEND_CONFIG")
    if backend:
        shutil.copy(REPO_ROOT / "terraform" / "backend_s3.tf.example", config / "backend_override.tf")
    return Terraform(
        config_dir=config,
        state_path=None if backend else work / "terraform.tfstate",
        data_dir=work / "tf-data",
    )


def init(terraform: Terraform, env: str) -> None:
    backend = _env("BACKEND_CONFIG")
    if backend:
        path = Path(backend) if Path(backend).is_absolute() else REPO_ROOT / backend
        terraform.init(f"-backend-config={path}", f"-backend-config=key=books-cqrs/{env}/terraform.tfstate")
    else:
        terraform.init()


def write_var_file(
    env: str, digests: dict[str, str], *, issuer: str | None = None, name: str = "deploy.tfvars.json"
) -> Path:
    variables: dict[str, Any] = {
        "environment": env,
        "region": region(),
        "jwt_issuer": issuer or required("JWT_ISSUER"),
        "jwt_audience": _env("JWT_AUDIENCE", "books-api"),
        "image_digests": digests,
    }
    path = deploy_dir(env) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(variables, indent=2) + "\n")
    return path


def deploy() -> int:
    env = environment_name()
    check_tools("terraform")
    check_credentials()
    var_file = write_var_file(env, read_digests())
    terraform = terraform_for(env)
    init(terraform, env)
    changes = terraform.plan_changes(var_file)
    if changes == 0:
        sys.stdout.write(f"aws-deploy {env}: no changes\n")
    else:
        terraform.apply(var_file)
    outputs = terraform.outputs()
    work = deploy_dir(env)
    (work / "outputs.json").write_text(json.dumps(outputs, indent=2) + "\n")
    (work / "api_url").write_text(str(outputs["api_url"]).rstrip("/") + "\n")
    values = {
        "API_URL": str(outputs["api_url"]).rstrip("/"),
        "API_ID": str(outputs.get("api_id", "")),
        "ISSUER_URL": required("JWT_ISSUER"),
        "AWS_REGION": region(),
        "COMMAND_FUNCTION": outputs["function_names"]["command"],
        "QUERY_FUNCTION": outputs["function_names"]["query"],
        "PROJECTOR_FUNCTION": outputs["function_names"]["projector"],
        "EVENT_STORE_TABLE": outputs["table_names"]["event_store"],
        "READ_MODEL_TABLE": outputs["table_names"]["read_model"],
        "ACCESS_LOG_GROUP": str(outputs.get("access_log_group_name") or f"/aws/apigateway/{env}-books-api"),
    }
    if _env("AWS_ENDPOINT_URL"):
        values["AWS_ENDPOINT_URL"] = _env("AWS_ENDPOINT_URL")
    stack_env.write(work / "stack.env", values)
    sys.stdout.write(f"aws-deploy {env}: API URL {values['API_URL']}\n")
    return 0


def ecr() -> int:
    """Create (or keep) ENV's ECR repositories only: apply -target=module.ecr; write and print repository_urls.

    Same working copy, state and backend as aws-deploy, so the later full apply finds the repositories in state.
    """
    env = environment_name()
    check_tools("terraform")
    check_credentials()
    placeholders = {fn: _ECR_PLACEHOLDER_DIGEST for fn in ("command", "query", "projector")}
    var_file = write_var_file(
        env, placeholders, issuer=_env("JWT_ISSUER", _ECR_PLACEHOLDER_ISSUER), name="ecr.tfvars.json"
    )
    terraform = terraform_for(env)
    init(terraform, env)
    terraform.apply(var_file, targets=[ECR_TARGET])
    urls = terraform.outputs().get("repository_urls") or {}
    missing = sorted({"command", "query", "projector"} - set(urls))
    if missing:
        raise PrerequisiteError(
            f"terraform output repository_urls lacks {', '.join(missing)} after the ECR apply"
        )
    path = deploy_dir(env) / "repository_urls.json"
    path.write_text(json.dumps(urls, indent=2, sort_keys=True) + "\n")
    sys.stdout.write(json.dumps(urls, sort_keys=True) + "\n")
    return 0


def smoke() -> int:
    env = environment_name()
    stack_file = Path(_env("STACK_ENV", str(deploy_dir(env) / "stack.env")))
    if not stack_file.is_file() and not _env("API_URL"):
        raise PrerequisiteError(
            f"{stack_file} is missing and API_URL is unset: run `make aws-deploy ENV={env}`"
        )
    for name in ("TOKEN_URL", "CLIENT_ID", "CLIENT_SECRET"):
        required(name)
    test_env = {**os.environ, "STACK_ENV": str(stack_file), "SMOKE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/e2e"], cwd=REPO_ROOT, env=test_env, check=False
    ).returncode


def destroy() -> int:
    env = environment_name()
    check_tools("terraform")
    check_credentials()
    var_file = deploy_dir(env) / "deploy.tfvars.json"
    if not var_file.is_file():
        var_file = write_var_file(env, read_digests())
    terraform = terraform_for(env)
    init(terraform, env)
    terraform.destroy(var_file)
    sys.stdout.write(f"aws-destroy {env}: destroyed\n")
    return 0


def main(action: str) -> int:
    try:
        return {"deploy": deploy, "ecr": ecr, "smoke": smoke, "destroy": destroy}[action]()
    except (PrerequisiteError, TerraformError) as exc:
        sys.stderr.write(f"aws-{action}: {exc}\n")
        return 1
