"""terraform/ applied once against a moto server through tflocal: read back through boto3, plan clean, destroy."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest

from devstack.terraform import Terraform, TerraformError, local_endpoint_env
from tests.integration.terraform.conftest import copy_terraform

ENVIRONMENT = "tfit"  # its own name prefix: other suites share the session's moto server
REGION = "us-east-1"
ISSUER = "https://issuer.tfit.example"
AUDIENCE = "tfit-audience"
WRITE_SCOPE = "catalog:write"
DIGESTS = {
    "command": "sha256:" + "a" * 64,
    "query": "sha256:" + "b" * 64,
    "projector": "sha256:" + "c" * 64,
}
VARIABLES: dict[str, Any] = {
    "environment": ENVIRONMENT,
    "region": REGION,
    "jwt_issuer": ISSUER,
    "jwt_audience": AUDIENCE,
    "write_scope": WRITE_SCOPE,
    "image_digests": DIGESTS,
    "log_retention_days": 30,
    "throttling_burst_limit": 40,
    "throttling_rate_limit": 20,
    "ecr_keep_last_images": 7,
    "function_settings": {"projector": {"timeout": 45, "memory_size": 512}},
}
WRITE_ROUTES = {
    "POST /v1/catalog/books",
    "PUT /v1/catalog/books/{id}",
    "PATCH /v1/catalog/books/{id}",
    "DELETE /v1/catalog/books/{id}",
}
READ_ROUTES = {"GET /v1/catalog/books", "GET /v1/catalog/books/{id}"}
TFLOCAL = str(Path(sys.executable).parent / "tflocal")


@dataclass
class Stack:
    terraform: Terraform
    var_file: Path
    outputs: dict[str, Any]
    endpoint: str
    apply_seconds: float
    destroyed: bool = False

    def client(self, service: str) -> Any:
        make_client: Any = boto3.client  # boto3's overloads accept only literal service names
        return make_client(service, endpoint_url=self.endpoint, region_name=REGION)


def tflocal_env(endpoint: str) -> dict[str, str]:
    """tflocal writes a provider override with every endpoint at LOCALSTACK_HOSTNAME:EDGE_PORT."""
    url = urlparse(endpoint)
    return {
        "LOCALSTACK_HOSTNAME": str(url.hostname),
        "EDGE_PORT": str(url.port),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "DISABLE_DEPRECATION_NOTICE": "1",
    }


@pytest.fixture(scope="module")
def stack(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("tf-apply")
    config_dir = copy_terraform(work / "terraform")
    var_file = work / "test.tfvars.json"
    var_file.write_text(json.dumps(VARIABLES))
    with pytest.MonkeyPatch.context() as mp:
        # Only tflocal's override may point the provider at moto; an exported AWS_ENDPOINT_URL would hide a gap.
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        terraform = Terraform(
            config_dir=config_dir,
            state_path=work / "terraform.tfstate",
            data_dir=work / "data",
            env=tflocal_env(moto_endpoint),
            command=(TFLOCAL,),
            cwd=config_dir,
        )
        terraform.init()
        # tflocal merges terraform's stderr into stdout; outputs are read from the state file by plain terraform.
        reader = Terraform(
            config_dir=config_dir, state_path=terraform.state_path, data_dir=terraform.data_dir
        )
        stack = Stack(terraform, var_file, {}, moto_endpoint, 0.0)
        try:
            started = time.monotonic()
            terraform.apply(var_file)  # default parallelism, once: it must succeed the first time
            stack.apply_seconds = time.monotonic() - started
            stack.outputs = reader.outputs()
            yield stack
        finally:
            if not stack.destroyed:
                terraform.destroy(var_file)


def routes_by_key(stack: Stack) -> dict[str, dict[str, Any]]:
    api = stack.client("apigatewayv2")
    return {route["RouteKey"]: route for route in api.get_routes(ApiId=stack.outputs["api_id"])["Items"]}


def test_apply_outputs_follow_the_contract_names(stack: Stack) -> None:
    outputs = stack.outputs
    assert outputs["function_names"] == {fn: f"{ENVIRONMENT}-books-{fn}" for fn in DIGESTS}
    assert outputs["table_names"] == {
        "event_store": f"{ENVIRONMENT}-books-events",
        "read_model": f"{ENVIRONMENT}-books-read-model",
    }
    assert set(outputs["repository_urls"]) == set(DIGESTS)
    assert all(url.endswith(f"/{ENVIRONMENT}-books-{fn}") for fn, url in outputs["repository_urls"].items())
    assert outputs["api_url"].startswith("https://") and outputs["api_id"] in outputs["api_url"]
    assert outputs["dead_letter_queue_url"].endswith(f"/{ENVIRONMENT}-books-projector-dlq")
    assert outputs["access_log_group_name"] == f"/aws/apigateway/{ENVIRONMENT}-books-api"


def test_routes_are_exactly_the_six_catalog_routes(stack: Stack) -> None:
    assert set(routes_by_key(stack)) == WRITE_ROUTES | READ_ROUTES


def test_get_routes_are_public(stack: Stack) -> None:
    routes = routes_by_key(stack)
    for key in READ_ROUTES:
        assert routes[key]["AuthorizationType"] == "NONE", key
        assert not routes[key].get("AuthorizerId"), key
        assert not routes[key].get("AuthorizationScopes"), key


def test_write_routes_require_the_jwt_authorizer_and_the_write_scope(stack: Stack) -> None:
    api = stack.client("apigatewayv2")
    routes = routes_by_key(stack)
    authorizer_ids = {routes[key]["AuthorizerId"] for key in WRITE_ROUTES}
    for key in WRITE_ROUTES:
        assert routes[key]["AuthorizationType"] == "JWT", key
        assert routes[key]["AuthorizationScopes"] == [WRITE_SCOPE], key
    assert len(authorizer_ids) == 1
    # moto lacks get_authorizers; the id comes from the routes.
    authorizer = api.get_authorizer(ApiId=stack.outputs["api_id"], AuthorizerId=authorizer_ids.pop())
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    assert authorizer["JwtConfiguration"] == {"Issuer": ISSUER, "Audience": [AUDIENCE]}


def test_writes_integrate_with_the_command_function_and_gets_with_the_query_function(stack: Stack) -> None:
    api = stack.client("apigatewayv2")
    lambda_ = stack.client("lambda")
    arns = {
        fn: lambda_.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        for fn, name in stack.outputs["function_names"].items()
    }
    for key, route in routes_by_key(stack).items():
        kind, _, integration_id = route["Target"].partition("/")
        assert kind == "integrations", key
        integration = api.get_integration(ApiId=stack.outputs["api_id"], IntegrationId=integration_id)
        expected = arns["command"] if key in WRITE_ROUTES else arns["query"]
        assert integration["IntegrationType"] == "AWS_PROXY", key
        assert integration["PayloadFormatVersion"] == "2.0", key
        assert f"/functions/{expected}/invocations" in integration["IntegrationUri"], key


def test_api_may_invoke_only_its_two_functions_from_its_own_execution_arn(stack: Stack) -> None:
    lambda_ = stack.client("lambda")
    names = stack.outputs["function_names"]
    api_id = stack.outputs["api_id"]
    for fn in ("command", "query"):
        (statement,) = json.loads(lambda_.get_policy(FunctionName=names[fn])["Policy"])["Statement"]
        assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
        source_arn = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
        assert source_arn == f"arn:aws:execute-api:{REGION}:123456789012:{api_id}/*/*"
    with pytest.raises(lambda_.exceptions.ResourceNotFoundException):
        lambda_.get_policy(FunctionName=names["projector"])


def test_default_stage_auto_deploys_with_json_access_logs_and_throttling(stack: Stack) -> None:
    stage = stack.client("apigatewayv2").get_stage(ApiId=stack.outputs["api_id"], StageName="$default")
    group_name = stack.outputs["access_log_group_name"]
    (group,) = stack.client("logs").describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
    assert stage["AutoDeploy"] is True
    assert stage["AccessLogSettings"]["DestinationArn"].removesuffix(":*") == group["arn"].removesuffix(":*")
    log_format = json.loads(stage["AccessLogSettings"]["Format"])
    assert log_format["requestId"] == "$context.requestId"
    assert log_format["status"] == "$context.status"
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 40
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 20
    assert group["retentionInDays"] == 30


def test_functions_run_their_image_by_digest_with_their_handler(stack: Stack) -> None:
    lambda_ = stack.client("lambda")
    for fn, name in stack.outputs["function_names"].items():
        function = lambda_.get_function(FunctionName=name)
        config = function["Configuration"]
        # ImageUri, not ResolvedImageUri: moto mangles the latter (see MOTO.md).
        assert function["Code"]["ImageUri"] == f"{stack.outputs['repository_urls'][fn]}@{DIGESTS[fn]}"
        assert config["PackageType"] == "Image"
        assert config["ImageConfigResponse"]["ImageConfig"]["Command"] == [f"books.entrypoints.{fn}.handler"]
        assert config["Environment"]["Variables"]["LOG_LEVEL"] == "INFO"
        assert config["TracingConfig"]["Mode"] == "Active"
        assert config["KMSKeyArn"].startswith(f"arn:aws:kms:{REGION}:")


def test_functions_get_table_names_and_per_function_timeout_and_memory(stack: Stack) -> None:
    lambda_ = stack.client("lambda")
    names, tables = stack.outputs["function_names"], stack.outputs["table_names"]
    configs = {fn: lambda_.get_function_configuration(FunctionName=name) for fn, name in names.items()}
    assert configs["command"]["Environment"]["Variables"]["EVENT_STORE_TABLE"] == tables["event_store"]
    assert configs["query"]["Environment"]["Variables"]["READ_MODEL_TABLE"] == tables["read_model"]
    assert configs["projector"]["Environment"]["Variables"]["READ_MODEL_TABLE"] == tables["read_model"]
    assert (configs["projector"]["Timeout"], configs["projector"]["MemorySize"]) == (45, 512)
    assert (configs["query"]["Timeout"], configs["query"]["MemorySize"]) == (10, 256)


def test_each_function_has_its_own_log_group_with_retention(stack: Stack) -> None:
    logs = stack.client("logs")
    for name in stack.outputs["function_names"].values():
        groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
        assert [(g["logGroupName"], g["retentionInDays"]) for g in groups] == [(f"/aws/lambda/{name}", 30)]


def role_statements(stack: Stack, fn: str) -> dict[str, dict[str, Any]]:
    iam = stack.client("iam")
    name = stack.outputs["function_names"][fn]
    role = f"{name}-{REGION}"  # IAM names are account-wide: the region keeps two regions' roles apart
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == [name]
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    return {statement["Sid"]: statement for statement in document["Statement"]}


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else sorted(value)


def test_roles_are_least_privilege_with_no_wildcard_where_an_arn_exists(stack: Stack) -> None:
    dynamodb = stack.client("dynamodb")
    events = dynamodb.describe_table(TableName=stack.outputs["table_names"]["event_store"])["Table"]
    read_model = dynamodb.describe_table(TableName=stack.outputs["table_names"]["read_model"])["Table"]
    statements = {fn: role_statements(stack, fn) for fn in DIGESTS}
    for fn, by_sid in statements.items():
        for sid, statement in by_sid.items():
            assert statement["Effect"] == "Allow"
            assert "*" not in as_list(statement["Action"]), (fn, sid)
            if sid != "SendTraces":  # X-Ray trace submission has no resource-level permissions
                assert "*" not in as_list(statement["Resource"]), (fn, sid)
    query, projector = statements["query"], statements["projector"]
    # Each grant is one the functions use (iam-report after the e2e suite under IAM_MODE=enforce).
    granted = {
        (fn, sid): (as_list(s["Action"]), as_list(s["Resource"]))
        for fn, by_sid in statements.items()
        for sid, s in by_sid.items()
        if sid
        not in (
            "WriteOwnLogs",
            "SendTraces",
            "DecryptEnvironment",
            "SendFailedRecordsToDlq",
            "EncryptDlqMessages",
        )
    }
    assert granted == {
        ("command", "AppendEventsAndClaims"): (
            ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            [events["TableArn"]],
        ),
        ("query", "ReadReadModel"): (["dynamodb:GetItem"], [read_model["TableArn"]]),
        ("query", "ListByTitle"): (["dynamodb:Query"], [f"{read_model['TableArn']}/index/by_title"]),
        ("projector", "ReadEventStream"): (
            [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            [events["LatestStreamArn"]],
        ),
        ("projector", "WriteReadModel"): (["dynamodb:PutItem"], [read_model["TableArn"]]),
    }
    assert as_list(projector["SendFailedRecordsToDlq"]["Action"]) == ["sqs:SendMessage"]
    assert not any(r == events["TableArn"] for s in projector.values() for r in as_list(s["Resource"]))
    assert not any(r == events["TableArn"] for s in query.values() for r in as_list(s["Resource"]))


def test_tables_are_on_demand_encrypted_with_recovery_and_the_contract_keys(stack: Stack) -> None:
    dynamodb = stack.client("dynamodb")
    tables = stack.outputs["table_names"]
    events = dynamodb.describe_table(TableName=tables["event_store"])["Table"]
    read_model = dynamodb.describe_table(TableName=tables["read_model"])["Table"]
    assert events["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert events["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    (index,) = read_model["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by_title"
    assert index["KeySchema"] == [
        {"AttributeName": "kind", "KeyType": "HASH"},
        {"AttributeName": "title_key", "KeyType": "RANGE"},
    ]
    for table in (events, read_model):
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["SSEDescription"]["Status"] == "ENABLED"
        assert table["SSEDescription"]["SSEType"] == "KMS"
        backups = dynamodb.describe_continuous_backups(TableName=table["TableName"])
        recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"


def test_stream_feeds_the_projector_with_partial_batch_failures_and_a_dead_letter_queue(stack: Stack) -> None:
    lambda_, sqs = stack.client("lambda"), stack.client("sqs")
    events = stack.client("dynamodb").describe_table(TableName=stack.outputs["table_names"]["event_store"])
    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=stack.outputs["dead_letter_queue_url"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    (mapping,) = lambda_.list_event_source_mappings(
        FunctionName=stack.outputs["function_names"]["projector"]
    )["EventSourceMappings"]
    assert mapping["EventSourceArn"] == events["Table"]["LatestStreamArn"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 <= mapping["MaximumRetryAttempts"] <= 10
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == dlq_arn


def test_repositories_are_immutable_scanned_and_expire_only_untagged_images(stack: Stack) -> None:
    ecr = stack.client("ecr")
    for fn in DIGESTS:
        name = f"{ENVIRONMENT}-books-{fn}"
        (repository,) = ecr.describe_repositories(repositoryNames=[name])["repositories"]
        assert repository["imageTagMutability"] == "IMMUTABLE"
        assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
        (rule,) = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])["rules"]
        # A tagged image may be the digest a function runs: only untagged ones may expire.
        assert rule["selection"]["tagStatus"] == "untagged"
        assert rule["selection"]["countType"] == "imageCountMoreThan"
        assert rule["selection"]["countNumber"] == 7
        assert rule["action"] == {"type": "expire"}


def test_the_event_store_expires_idempotency_records_by_expires_at(stack: Stack) -> None:
    dynamodb = stack.client("dynamodb")
    ttl = dynamodb.describe_time_to_live(TableName=stack.outputs["table_names"]["event_store"])
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    read_model = dynamodb.describe_time_to_live(TableName=stack.outputs["table_names"]["read_model"])
    assert read_model["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"


def test_plan_after_apply_reports_no_changes_through_tflocal_and_through_aws_endpoint_url(
    stack: Stack,
) -> None:
    assert stack.terraform.plan_changes(stack.var_file) == 0
    # The same state seen through the provider's own AWS_ENDPOINT_URL: only the endpoint mechanism differs.
    plain = Terraform(
        config_dir=stack.terraform.config_dir,
        state_path=stack.terraform.state_path,
        data_dir=stack.terraform.data_dir,
        env=local_endpoint_env(stack.endpoint, REGION),
    )
    assert plain.plan_changes(stack.var_file) == 0


def test_a_malformed_image_digest_is_rejected_before_any_change(stack: Stack, tmp_path: Path) -> None:
    bad = {**VARIABLES, "image_digests": {**DIGESTS, "query": "sha256:deadbeef"}}
    var_file = tmp_path / "bad.tfvars.json"
    var_file.write_text(json.dumps(bad))
    with pytest.raises(TerraformError, match=r"sha256:<64 lowercase hex"):
        stack.terraform.plan_changes(var_file)


def test_destroy_removes_every_resource(stack: Stack) -> None:
    stack.terraform.destroy(stack.var_file)
    stack.destroyed = True
    names = stack.outputs["function_names"]
    functions = stack.client("lambda").list_functions()["Functions"]
    assert not {f["FunctionName"] for f in functions} & set(names.values())
    assert not set(stack.client("dynamodb").list_tables()["TableNames"]) & set(
        stack.outputs["table_names"].values()
    )
    apis = stack.client("apigatewayv2").get_apis()["Items"]
    assert stack.outputs["api_id"] not in {api["ApiId"] for api in apis}
    groups = stack.client("logs").describe_log_groups()["logGroups"]
    assert not [g["logGroupName"] for g in groups if f"{ENVIRONMENT}-books" in g["logGroupName"]]
    roles = stack.client("iam").list_roles()["Roles"]
    assert not [r["RoleName"] for r in roles if r["RoleName"].startswith(f"{ENVIRONMENT}-books")]
    assert os.path.getsize(stack.terraform.state_path) > 0
    state = json.loads(stack.terraform.state_path.read_text())
    assert state["resources"] == [] or all(r["mode"] == "data" for r in state["resources"])
