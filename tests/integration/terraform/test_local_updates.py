"""In-place updates moto got wrong apply in a bounded run and leave a clean plan; a gap fails in one line."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack import local_config
from devstack.terraform import Terraform, TerraformError, local_endpoint_env
from tests.integration.terraform.conftest import TERRAFORM_ROOT

CONFIGS = Path(__file__).parent / "configs"
NAME = "tfupd"  # its own name prefix: other suites share the session's moto server
BASE: dict[str, Any] = {
    "name": NAME,
    "throttling_rate_limit": 20,
    "route_authorization": "JWT",
    "billing_mode": "PROVISIONED",
}
# Every local run is bounded; an update that hung on provider retries would fail here, not stall the suite.
RUN_TIMEOUT = 180.0


@dataclass
class Config:
    terraform: Terraform
    work: Path
    endpoint: str
    api_id: str = ""

    def apply(self, variables: dict[str, Any]) -> None:
        var_file = self.work / "vars.tfvars.json"
        var_file.write_text(json.dumps({**BASE, **variables}))
        self.terraform.apply(var_file)
        assert self.terraform.plan_changes(var_file) == 0, "plan after apply must be clean"

    def client(self, service: str) -> Any:
        make_client: Any = boto3.client  # boto3's overloads accept only literal service names
        return make_client(service, endpoint_url=self.endpoint, region_name="us-east-1")


def _terraform(config_dir: Path, work: Path, endpoint: str) -> Terraform:
    return Terraform(
        config_dir=config_dir,
        state_path=work / "terraform.tfstate",
        data_dir=work / "data",
        env=local_endpoint_env(endpoint),
        timeout=RUN_TIMEOUT,
        local=True,
        log_path=work / "terraform.log",
    )


@pytest.fixture(scope="module")
def config(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Config]:
    work = tmp_path_factory.mktemp("tf-updates")
    # As local-up runs it: a copy with the local-only override, here of a small root using the project's module.
    source = work / "source"
    shutil.copytree(CONFIGS / "local_updates", source)
    shutil.copytree(TERRAFORM_ROOT / "modules" / "http_api", source / "modules" / "http_api")
    terraform = _terraform(local_config.prepare(work / "config", source), work, moto_endpoint)
    terraform.init()
    config = Config(terraform, work, moto_endpoint)
    config.apply({})
    config.api_id = terraform.outputs()["api_id"]
    yield config
    terraform.destroy(work / "vars.tfvars.json")


def _throttling_rate(config: Config) -> float:
    stage = config.client("apigatewayv2").get_stage(ApiId=config.api_id, StageName="$default")
    return float(stage["DefaultRouteSettings"]["ThrottlingRateLimit"])


def _authorization(config: Config) -> tuple[str, list[str]]:
    (route,) = config.client("apigatewayv2").get_routes(ApiId=config.api_id)["Items"]
    return route["AuthorizationType"], route.get("AuthorizationScopes", [])


def _table(config: Config) -> dict[str, Any]:
    return dict(config.client("dynamodb").describe_table(TableName=f"{NAME}-table")["Table"])


def _capacity(table: dict[str, Any]) -> list[tuple[int, int]]:
    throughputs = [
        table["ProvisionedThroughput"],
        table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"],
    ]
    return [(t["ReadCapacityUnits"], t["WriteCapacityUnits"]) for t in throughputs]


# What each update changes (one apply makes all of them, one more reverts them): moto's operation, the
# variables, how it reads back, and the value after the change and after the revert.
UPDATES: list[tuple[str, dict[str, Any], Callable[[Config], Any], Any, Any]] = [
    ("UpdateStage", {"throttling_rate_limit": 7.5}, _throttling_rate, 7.5, 20),
    ("UpdateRoute", {"route_authorization": "NONE"}, _authorization, ("NONE", []), ("JWT", ["books:write"])),
    (
        "UpdateTable",
        {"billing_mode": "PAY_PER_REQUEST"},
        lambda c: _capacity(_table(c)),
        [(0, 0)] * 2,
        [(5, 5)] * 2,
    ),
]


@pytest.mark.parametrize("state", ["changed", "reverted"])
def test_updates_apply_within_the_bound_and_read_back_with_a_clean_plan(config: Config, state: str) -> None:
    changed = state == "changed"
    config.apply({k: v for _, change, *_ in UPDATES for k, v in change.items()} if changed else {})
    read_back = {operation: read(config) for operation, _, read, *_ in UPDATES}
    assert read_back == {op: after if changed else before for op, _, _, after, before in UPDATES}


def test_an_operation_the_control_plane_lacks_fails_the_apply_in_one_line(
    moto_endpoint: str, tmp_path: Path
) -> None:
    terraform = _terraform(
        local_config.prepare(tmp_path / "config", CONFIGS / "not_implemented"), tmp_path, moto_endpoint
    )
    terraform.init()
    with pytest.raises(TerraformError) as raised:
        terraform.apply()
    address = "aws_iam_security_token_service_preferences.this"
    assert str(raised.value) == (
        f"{address}: IAM SetSecurityTokenServicePreferences is not implemented by the local control plane (moto):"
        f" the local stack cannot have {address}: leave it out locally, or add SetSecurityTokenServicePreferences"
        f" to controlplane/; terraform output: {tmp_path / 'terraform.log'}"
    )
