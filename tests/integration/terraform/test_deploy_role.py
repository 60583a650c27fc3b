"""The deploy role, proven locally: every call a `terraform apply` and `destroy` of terraform/ make, as the role.

Its own control plane (IAM_MODE=log: nothing is refused, every decision of controlplane/iam_gate.py is
recorded) gets terraform/bootstrap/ applied with admin keys, so the deploy role and its inline policy exist
exactly as bootstrap creates them. A session of that role, from AssumeRoleWithWebIdentity as GitHub's OIDC
login makes it, then applies and destroys terraform/. Each call the provider made is one or more decisions
in /emulator/iam/decisions: a denied one, or an undecided one not in UNDECIDED_ACCEPTED, fails the test with
one line naming the call, the action, the resource and the statement (or the evaluator's reason).

Not covered: the S3 backend's state and lock-file calls (this apply keeps local state), the image pushes of
the delivery job (images are not pushed here; moto does not check them), the preview role, and what AWS
services do on the deployer's behalf with its permissions (Lambda's ECR repository policy, API Gateway's log
delivery, KMS grants): the control plane sees only the calls the provider signs.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from devstack.terraform import Terraform, local_endpoint_env
from tests.integration.terraform.conftest import NOT_COPIED, TERRAFORM_ROOT, copy_terraform
from tests.integration.terraform.test_apply import VARIABLES
from tests.support.processes import moto_server
from tests.support.summary import add_section

REGION = "us-east-1"
# terraform/bootstrap's defaults but the one required variable: the role is named as it is in an account.
BOOTSTRAP_VARIABLES = {"region": REGION, "github_repository": "octo-org/books-cqrs"}
SESSION_NAME = "github-actions-deploy"
DECISION_LOG_GROUP = "/emulator/iam/decisions"
DENIED = ("explicit-deny", "implicit-deny")
# Seconds any one terraform command may take (each takes about a minute here): a provider retrying a failing
# call forever fails the test instead of hanging it.
TERRAFORM_TIMEOUT = 600
# Undecided reasons that are not a gap of this proof; empty: every call this stack makes is decided.
UNDECIDED_ACCEPTED: dict[str, str] = {}
# The one denial the provider is known to carry on from. Reading aws_dynamodb_table, it asks for the AWS
# managed key (alias/aws/dynamodb) to tell a default-key table from a customer-key one; that key's policy
# leaves kms:DescribeKey to IAM, which grants the role none. Under IAM_MODE=enforce the gate refused those
# calls with AccessDenied and apply and destroy still succeeded (2026-12-04), so the role needs no grant for it.
# (Two tables read at once can make moto create that key twice: each is matched by its alias.)
TOLERATED_DENIAL = ("kms:DescribeKey", "alias/aws/dynamodb")
# Calls the proof must have seen, so that it cannot pass on an empty or partial log: the two findings
# (ListAliases, GetEventSourceMapping) and one create per service.
EXPECTED_ACTIONS = {
    "kms:CreateKey",
    "kms:ListAliases",
    "lambda:CreateFunction",
    "lambda:GetEventSourceMapping",
    "lambda:CreateEventSourceMapping",
    "iam:PassRole",
    "iam:CreateRole",
    "apigateway:POST",
    "dynamodb:CreateTable",
    "sqs:CreateQueue",
    "logs:CreateLogGroup",
    "ecr:CreateRepository",
}


@dataclass(frozen=True)
class Decision:
    operation: str
    action: str
    resource: str
    decision: str
    statement: str
    reason: str

    def line(self) -> str:
        why = self.statement or self.reason or "no statement allows it"
        return f"{self.operation}: {self.action} on {self.resource or '(no resource)'} is {self.decision} ({why})"


@dataclass
class Proof:
    decisions: list[Decision]
    role_arn: str
    key_aliases: dict[str, set[str]]  # key ARN -> its aliases, for every key the calls named

    def fails(self, d: Decision) -> bool:
        if d.decision in DENIED:
            action, alias = TOLERATED_DENIAL
            return not (d.action == action and self.key_aliases.get(d.resource) == {alias})
        return d.decision == "undecided" and d.reason not in UNDECIDED_ACCEPTED


def _client(service: str, endpoint: str, **kwargs: Any) -> Any:
    """A client with the static (admin) keys: a module fixture runs before the autouse fake credentials."""
    make_client: Any = boto3.client  # boto3's overloads accept only literal service names
    admin = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    return make_client(service, endpoint_url=endpoint, region_name=REGION, **admin, **kwargs)


def _apply_bootstrap(endpoint: str, work: Path) -> str:
    config_dir = work / "bootstrap"
    shutil.copytree(TERRAFORM_ROOT / "bootstrap", config_dir, ignore=NOT_COPIED)
    var_file = work / "bootstrap.tfvars.json"
    var_file.write_text(json.dumps(BOOTSTRAP_VARIABLES))
    bootstrap = Terraform(
        config_dir=config_dir,
        state_path=work / "bootstrap.tfstate",
        data_dir=work / "bootstrap-data",
        env=local_endpoint_env(endpoint, REGION),
        timeout=TERRAFORM_TIMEOUT,
    )
    bootstrap.init()
    bootstrap.apply(var_file)
    return str(bootstrap.outputs()["deploy_role_arn"])


def _deploy_session(endpoint: str, role_arn: str) -> dict[str, str]:
    # GitHub's login is an unsigned AssumeRoleWithWebIdentity. moto checks neither the token nor the trust
    # policy (test_bootstrap.py reads the trust policy back); it records the session, which the gate then
    # recognises by its ASIA key.
    sts = _client("sts", endpoint, config=Config(signature_version=UNSIGNED))
    credentials = sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName=SESSION_NAME, WebIdentityToken="github-oidc-token"
    )["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def _read_decisions(endpoint: str) -> list[Decision]:
    logs = _client("logs", endpoint)
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=DECISION_LOG_GROUP, logStreamNames=[SESSION_NAME]
    )
    found = []
    for page in pages:
        for event in page["events"]:
            record = json.loads(event["message"])
            found.append(
                Decision(
                    record["operation"],
                    record["action"],
                    record["resource"],
                    record["decision"],
                    record["statement"],
                    record.get("reason", ""),
                )
            )
    return found


def _key_aliases(endpoint: str, resources: set[str]) -> dict[str, set[str]]:
    kms = _client("kms", endpoint)
    return {
        arn: {a["AliasName"] for a in kms.list_aliases(KeyId=arn)["Aliases"]}
        for arn in resources
        if ":key/" in arn
    }


@pytest.fixture(scope="module")
def proof(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proof]:
    work = tmp_path_factory.mktemp("deploy-role")
    with moto_server(work, env={"IAM_MODE": "log"}) as endpoint:
        role_arn = _apply_bootstrap(endpoint, work)
        var_file = work / "deploy.tfvars.json"
        var_file.write_text(json.dumps(VARIABLES))
        deploy = Terraform(
            config_dir=copy_terraform(work / "terraform"),
            state_path=work / "terraform.tfstate",
            data_dir=work / "terraform-data",
            env={**local_endpoint_env(endpoint, REGION), **_deploy_session(endpoint, role_arn)},
            timeout=TERRAFORM_TIMEOUT,
        )
        deploy.init()
        deploy.apply(var_file)
        deploy.destroy(var_file)
        decisions = _read_decisions(endpoint)
        aliases = _key_aliases(endpoint, {d.resource for d in decisions if ":kms:" in d.resource})
    counts: dict[str, int] = {}
    for decision in decisions:
        counts[decision.decision] = counts.get(decision.decision, 0) + 1
    add_section("deploy role", [f"{len(decisions)} decisions: {json.dumps(counts, sort_keys=True)}"])
    yield Proof(decisions, role_arn, aliases)


def test_the_log_holds_every_kind_of_call_apply_and_destroy_make(proof: Proof) -> None:
    assert EXPECTED_ACTIONS - {d.action for d in proof.decisions} == set()


def test_the_deploy_role_is_allowed_every_call_of_apply_and_destroy(proof: Proof) -> None:
    failures = sorted({d.line() for d in proof.decisions if proof.fails(d)})
    assert not failures, (
        f"{len(failures)} call(s) the deploy role {proof.role_arn} would not be allowed:\n"
        + ("\n".join(failures))
    )
