"""terraform/bootstrap applied against a moto server: state bucket, OIDC provider and deploy role read back, destroyed."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack.terraform import Terraform, TerraformError, local_endpoint_env
from tests.integration.terraform.conftest import NOT_COPIED, TERRAFORM_ROOT

REGION = "us-east-1"
REPOSITORY = "octo-org/books-cqrs"
BUCKET = "tfit-bootstrap-state"  # its own names: other suites share the session's moto server
ROLE = "tfit-bootstrap-deploy"
PREVIEW_ROLE = "tfit-bootstrap-preview"
VARIABLES: dict[str, Any] = {
    "region": REGION,
    "github_repository": REPOSITORY,
    "state_bucket_name": BUCKET,
    "deploy_role_name": ROLE,
    "pull_request_role_name": PREVIEW_ROLE,
    "noncurrent_version_expiration_days": 30,
}
DEPLOY_SUBJECTS = {
    f"repo:{REPOSITORY}:ref:refs/heads/main",
    f"repo:{REPOSITORY}:ref:refs/tags/v*",
    f"repo:{REPOSITORY}:environment:staging",
    f"repo:{REPOSITORY}:environment:prod",
}
PREVIEW_SUBJECTS = {f"repo:{REPOSITORY}:pull_request"}
EXPECTED_SUBJECTS = DEPLOY_SUBJECTS | PREVIEW_SUBJECTS
OIDC_HOST = "token.actions.githubusercontent.com"


@dataclass
class Bootstrap:
    terraform: Terraform
    var_file: Path
    outputs: dict[str, Any]
    endpoint: str
    destroyed: bool = False

    def client(self, service: str) -> Any:
        make_client: Any = boto3.client  # boto3's overloads accept only literal service names
        return make_client(service, endpoint_url=self.endpoint, region_name=REGION)


@pytest.fixture(scope="module")
def bootstrap(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bootstrap]:
    work = tmp_path_factory.mktemp("tf-bootstrap")
    config_dir = work / "bootstrap"
    shutil.copytree(TERRAFORM_ROOT / "bootstrap", config_dir, ignore=NOT_COPIED)
    var_file = work / "test.tfvars.json"
    var_file.write_text(json.dumps(VARIABLES))
    terraform = Terraform(
        config_dir=config_dir,
        state_path=work / "terraform.tfstate",
        data_dir=work / "data",
        env=local_endpoint_env(moto_endpoint, REGION),
    )
    terraform.init()
    stack = Bootstrap(terraform, var_file, {}, moto_endpoint)
    try:
        terraform.apply(var_file)
        stack.outputs = terraform.outputs()
        yield stack
    finally:
        if not stack.destroyed:
            empty_bucket(stack)
            terraform.destroy(var_file)


def empty_bucket(stack: Bootstrap) -> None:
    """Delete every object version; the TLS-only bucket policy goes first, since these calls are plain HTTP."""
    s3 = stack.client("s3")
    s3.delete_bucket_policy(Bucket=BUCKET)
    versions = s3.list_object_versions(Bucket=BUCKET)
    for item in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"], VersionId=item["VersionId"])


def statements_by_sid(document: str | dict[str, Any]) -> dict[str, dict[str, Any]]:
    parsed = json.loads(document) if isinstance(document, str) else document
    return {statement["Sid"]: statement for statement in parsed["Statement"]}


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_outputs_name_the_bucket_role_and_provider(bootstrap: Bootstrap) -> None:
    outputs = bootstrap.outputs
    assert outputs["state_bucket_name"] == BUCKET
    assert outputs["deploy_role_arn"] == f"arn:aws:iam::123456789012:role/{ROLE}"
    assert outputs["preview_role_arn"] == f"arn:aws:iam::123456789012:role/{PREVIEW_ROLE}"
    assert outputs["github_oidc_provider_arn"] == f"arn:aws:iam::123456789012:oidc-provider/{OIDC_HOST}"
    assert set(outputs["github_subjects"]) == EXPECTED_SUBJECTS


def test_backend_config_output_is_a_complete_s3_backend_file(bootstrap: Bootstrap) -> None:
    pairs = dict(re.findall(r"^\s*(\w+)\s*=\s*(.+?)\s*$", bootstrap.outputs["backend_config"], re.MULTILINE))
    assert pairs == {
        "bucket": f'"{BUCKET}"',
        "region": f'"{REGION}"',
        "encrypt": "true",
        "use_lockfile": "true",
        "kms_key_id": f'"{bootstrap.outputs["state_kms_key_arn"]}"',
    }


def test_state_bucket_is_versioned(bootstrap: Bootstrap) -> None:
    assert bootstrap.client("s3").get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"


def test_state_bucket_encrypts_with_its_own_rotating_kms_key(bootstrap: Bootstrap) -> None:
    encryption = bootstrap.client("s3").get_bucket_encryption(Bucket=BUCKET)
    (rule,) = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    default = rule["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    assert default["KMSMasterKeyID"] == bootstrap.outputs["state_kms_key_arn"]
    assert rule["BucketKeyEnabled"] is True
    kms = bootstrap.client("kms")
    assert kms.get_key_rotation_status(KeyId=default["KMSMasterKeyID"])["KeyRotationEnabled"] is True


def test_state_bucket_blocks_all_public_access_and_acls(bootstrap: Bootstrap) -> None:
    s3 = bootstrap.client("s3")
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    (ownership,) = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"]
    assert ownership == {"ObjectOwnership": "BucketOwnerEnforced"}


def test_state_bucket_policy_denies_requests_without_tls(bootstrap: Bootstrap) -> None:
    policy = statements_by_sid(bootstrap.client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"])
    deny = policy["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] in ("*", {"AWS": "*"})
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(as_list(deny["Resource"])) == [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]


def test_plain_http_object_writes_are_refused_by_the_bucket_policy(bootstrap: Bootstrap) -> None:
    # moto evaluates a bucket policy's Deny on object requests. It treats any unmet Deny condition as a denial, so
    # this shows the Deny covers object writes; the TLS test itself is AWS's (the statement is checked above).
    with pytest.raises(ClientError) as refused:
        bootstrap.client("s3").put_object(Bucket=BUCKET, Key="books-cqrs/dev/terraform.tfstate", Body=b"{}")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_noncurrent_state_versions_expire_after_the_configured_days(bootstrap: Bootstrap) -> None:
    (rule,) = bootstrap.client("s3").get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30


def test_oidc_provider_trusts_github_for_the_sts_audience(bootstrap: Bootstrap) -> None:
    provider = bootstrap.client("iam").get_open_id_connect_provider(
        OpenIDConnectProviderArn=bootstrap.outputs["github_oidc_provider_arn"]
    )
    assert provider["Url"].removeprefix("https://") == OIDC_HOST
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    assert provider["ThumbprintList"]


@pytest.mark.parametrize(
    ("role", "subjects"),
    [
        pytest.param(ROLE, DEPLOY_SUBJECTS, id="deploy role: branches, tags, environments"),
        pytest.param(PREVIEW_ROLE, PREVIEW_SUBJECTS, id="preview role: pull_request jobs only"),
    ],
)
def test_each_role_is_assumable_only_by_its_jobs_of_this_repository_through_github_oidc(
    bootstrap: Bootstrap, role: str, subjects: set[str]
) -> None:
    document = bootstrap.client("iam").get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    (statement,) = (json.loads(document) if isinstance(document, str) else document)["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": bootstrap.outputs["github_oidc_provider_arn"]}
    assert statement["Condition"]["StringEquals"] == {f"{OIDC_HOST}:aud": "sts.amazonaws.com"}
    assert set(statement["Condition"]["StringLike"]) == {f"{OIDC_HOST}:sub"}
    assert set(as_list(statement["Condition"]["StringLike"][f"{OIDC_HOST}:sub"])) == subjects


def role_statements(bootstrap: Bootstrap, role: str) -> dict[str, dict[str, Any]]:
    iam = bootstrap.client("iam")
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    return statements_by_sid(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])


@pytest.mark.parametrize(
    ("role", "pattern", "state_prefix"),
    [
        pytest.param(ROLE, "*-books-*", "books-cqrs/", id="deploy role"),
        pytest.param(PREVIEW_ROLE, "pr-*-books-*", "books-cqrs/pr-", id="preview role: pr-* only"),
    ],
)
def test_permissions_are_name_scoped_except_where_aws_has_no_resource_level(
    bootstrap: Bootstrap, role: str, pattern: str, state_prefix: str
) -> None:
    statements = role_statements(bootstrap, role)
    unscoped = {
        sid for sid, s in statements.items() if s["Effect"] == "Allow" and "*" in as_list(s["Resource"])
    }
    assert unscoped == {
        "EcrLogin",
        "LambdaStreamMappings",
        "LambdaListStreamMappings",
        "HttpApiAccessLogDelivery",
        "CreateTaggedKeys",
        "ListKeyAliases",
    }
    assert statements["LambdaStreamMappings"]["Condition"]["ArnLike"]["lambda:FunctionArn"].endswith(
        f":function:{pattern}"
    )
    # GetEventSourceMapping takes no lambda:FunctionArn: under that condition it would always be denied.
    assert "lambda:GetEventSourceMapping" not in as_list(statements["LambdaStreamMappings"]["Action"])
    assert as_list(statements["LambdaReadStreamMappings"]["Action"]) == ["lambda:GetEventSourceMapping"]
    # A request without tags (ListAliases) fails any aws:RequestTag condition: it must stand unconditioned.
    assert "Condition" not in statements["ListKeyAliases"]
    assert statements["CreateTaggedKeys"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/Project": "books-cqrs"}
    }
    # Nothing is granted by a key's tag: tagging a foreign key Project=books-cqrs must not open it.
    assert not [sid for sid, s in statements.items() if "aws:ResourceTag/Project" in json.dumps(s)]
    for sid in ("EcrRepositories", "LambdaFunctions", "FunctionRoles", "Tables", "Queues"):
        assert all(pattern in arn for arn in as_list(statements[sid]["Resource"])), sid
    assert statements["PassFunctionRolesToLambda"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}
    }
    assert as_list(statements["StateObjectsAndLockFiles"]["Resource"]) == [
        f"arn:aws:s3:::{BUCKET}/{state_prefix}*"
    ]
    assert statements["DenyStateKeyManagement"]["Effect"] == "Deny"
    assert as_list(statements["DenyStateKeyManagement"]["Resource"]) == [
        bootstrap.outputs["state_kms_key_arn"]
    ]
    assert sorted(as_list(statements["DenyChangingOwnRole"]["Resource"])) == [
        f"arn:aws:iam::123456789012:role/{ROLE}",
        f"arn:aws:iam::123456789012:role/{PREVIEW_ROLE}",
    ]
    assert ("DenyOtherEnvironmentsApis" in statements) == (role == PREVIEW_ROLE)


def test_plan_after_apply_reports_no_changes(bootstrap: Bootstrap) -> None:
    assert bootstrap.terraform.plan_changes(bootstrap.var_file) == 0


def test_an_existing_provider_needs_its_arn(bootstrap: Bootstrap, tmp_path: Path) -> None:
    var_file = tmp_path / "no-provider.tfvars.json"
    var_file.write_text(json.dumps({**VARIABLES, "create_github_oidc_provider": False}))
    with pytest.raises(TerraformError, match="github_oidc_provider_arn is required"):
        bootstrap.terraform.plan_changes(var_file)


def test_a_repository_url_is_rejected_before_any_change(bootstrap: Bootstrap, tmp_path: Path) -> None:
    var_file = tmp_path / "url.tfvars.json"
    var_file.write_text(
        json.dumps({**VARIABLES, "github_repository": "https://github.com/octo-org/books-cqrs"})
    )
    with pytest.raises(TerraformError, match="github_repository must be owner/repo"):
        bootstrap.terraform.plan_changes(var_file)


def test_destroy_refuses_a_bucket_with_state_then_removes_everything_once_emptied(
    bootstrap: Bootstrap,
) -> None:
    s3 = bootstrap.client("s3")
    # Plain HTTP cannot write through the TLS-only policy (above): lift it to leave a state file behind.
    s3.delete_bucket_policy(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="books-cqrs/prod/terraform.tfstate", Body=b"{}")
    with pytest.raises(TerraformError, match="BucketNotEmpty"):
        bootstrap.terraform.destroy(bootstrap.var_file)
    assert s3.head_bucket(Bucket=BUCKET)["ResponseMetadata"]["HTTPStatusCode"] == 200

    empty_bucket(bootstrap)
    bootstrap.terraform.destroy(bootstrap.var_file)
    bootstrap.destroyed = True
    assert BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    iam = bootstrap.client("iam")
    assert not {ROLE, PREVIEW_ROLE} & {r["RoleName"] for r in iam.list_roles()["Roles"]}
    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert bootstrap.outputs["github_oidc_provider_arn"] not in {p["Arn"] for p in providers}
    key = bootstrap.client("kms").describe_key(KeyId=bootstrap.outputs["state_kms_key_arn"])["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"
    assert bootstrap.terraform.state_path is not None
    state = json.loads(bootstrap.terraform.state_path.read_text())
    assert all(r["mode"] == "data" for r in state["resources"])
