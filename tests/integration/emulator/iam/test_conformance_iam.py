"""IAM under enforce, end to end: a tiny function whose role each row rewrites with its own Terraform.

One control plane (IAM_MODE=enforce), one emulator (IAM_MODE=enforce) and one state for the whole table:
each row re-applies the role's policies and calls the same route, so a row that succeeds after a denied one
shows that a re-applied policy takes effect with no restart. Rows run in order; the trust-policy row comes
after a failed call, which (as on Lambda) retires the environment, so its call needs a cold start.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from devstack.ports import free_ports
from devstack.terraform import Terraform, local_endpoint_env
from tests.support.processes import moto_server, running

TERRAFORM_DIR = Path(__file__).parent / "terraform"
ENFORCE = {"IAM_MODE": "enforce"}


@dataclass
class Stack:
    terraform: Terraform
    work: Path
    control_plane: str
    outputs: dict[str, Any]
    http: requests.Session
    gateway: str
    log_path: Path

    def apply(self, statements: list[dict[str, Any]], trusted_service: str) -> None:
        var_file = self.work / "iam.tfvars.json"
        var_file.write_text(json.dumps({"statements": statements, "trusted_service": trusted_service}))
        self.terraform.apply(var_file)

    def read(self, table: str) -> requests.Response:
        return self.http.get(f"{self.gateway}/read", params={"table": table}, timeout=40)

    def decisions(self) -> list[dict[str, Any]]:
        logs = boto3.client(
            "logs",
            endpoint_url=self.control_plane,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        try:
            events = logs.get_log_events(
                logGroupName="/emulator/iam/decisions", logStreamName=self.outputs["function_name"]
            )["events"]
        except logs.exceptions.ResourceNotFoundException:
            return []
        return [json.loads(e["message"]) for e in events]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("iam-conformance")
    with moto_server(work, env=ENFORCE) as control_plane:
        terraform = Terraform(
            config_dir=TERRAFORM_DIR,
            state_path=work / "terraform.tfstate",
            data_dir=work / "tf-data",
            env=local_endpoint_env(control_plane),
        )
        terraform.init()
        terraform.apply()
        outputs = terraform.outputs()
        port, lambda_port = free_ports("127.0.0.1", 2)
        env = {
            **ENFORCE,
            "EMULATOR_CONTROL_PLANE_URL": control_plane,
            "AWS_ENDPOINT_URL": control_plane,
            "EMULATOR_PORT": str(port),
            "EMULATOR_LAMBDA_PORT": str(lambda_port),
            "EMULATOR_CODE_MAP": "iamconf-*=tests/functions",
            "EMULATOR_REFRESH_SECONDS": "1",
        }
        log_path = work / "emulator.log"
        with running(
            ["-m", "emulator", "serve"],
            health_url=f"http://127.0.0.1:{lambda_port}/_emulator/health",
            log_path=log_path,
            env=env,
            timeout=60,
        ):
            session = requests.Session()
            session.headers["Host"] = f"{outputs['api_id']}.execute-api.localhost:{port}"
            yield Stack(
                terraform, work, control_plane, outputs, session, f"http://127.0.0.1:{port}", log_path
            )
            session.close()


BOOKS = "arn:aws:dynamodb:us-east-1:123456789012:table/iamconf-books"
GET_BOOKS = {"effect": "Allow", "actions": ["dynamodb:GetItem"], "resources": [BOOKS]}
LAMBDA = "lambda.amazonaws.com"

# (id, statements, trusted service, table read, HTTP status, decision recorded for dynamodb:GetItem or None)
CASES = [
    ("a role without dynamodb:GetItem is denied", [], LAMBDA, "iamconf-books", 500, "implicit-deny"),
    (
        "adding the statement and re-applying lets the same call through",
        [GET_BOOKS],
        LAMBDA,
        "iamconf-books",
        200,
        "allow",
    ),
    ("a grant on another table's ARN is denied", [GET_BOOKS], LAMBDA, "iamconf-other", 500, "implicit-deny"),
    (
        "an explicit Deny beats an Allow",
        [{"effect": "Allow", "actions": ["dynamodb:*"], "resources": ["*"]}, {**GET_BOOKS, "effect": "Deny"}],
        LAMBDA,
        "iamconf-books",
        500,
        "explicit-deny",
    ),
    (
        "a role whose trust policy does not name lambda fails the invoke",
        [GET_BOOKS],
        "ec2.amazonaws.com",
        "iamconf-books",
        500,
        None,
    ),
    ("trusting lambda again lets it run", [GET_BOOKS], LAMBDA, "iamconf-books", 200, "allow"),
]


@pytest.mark.parametrize(
    ("statements", "trusted", "table", "status", "decision"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_a_functions_calls_are_authorized_against_its_role(
    stack: Stack,
    statements: list[dict[str, Any]],
    trusted: str,
    table: str,
    status: int,
    decision: str | None,
) -> None:
    stack.apply(statements, trusted)
    before = len(stack.decisions())
    response = stack.read(table)
    assert response.status_code == status, response.text
    if status == 500:  # what API Gateway answers for a function error
        assert response.json() == {"message": "Internal Server Error"}
    recorded = [d for d in stack.decisions()[before:] if d["action"] == "dynamodb:GetItem"]
    if decision is None:
        assert recorded == []  # the function never ran
        assert "The role defined for the function cannot be assumed by Lambda." in stack.log_path.read_text()
    else:
        assert [d["decision"] for d in recorded] == [decision]
        assert recorded[0]["resource"] == f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}"
