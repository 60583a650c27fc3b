"""Against `python -m controlplane`: UpdateTable switches BillingMode both ways as DynamoDB does."""

from __future__ import annotations

import itertools
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

_names = itertools.count()
GSI = "by_title"


@pytest.fixture
def ddb(moto_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name="us-east-1")


def _create(ddb: Any, billing_mode: str) -> str:
    name = f"cp-billing-{next(_names)}"
    provisioned = {"ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 6}}
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "title", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": GSI,
                "KeySchema": [{"AttributeName": "title", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                **(provisioned if billing_mode == "PROVISIONED" else {}),
            }
        ],
        BillingMode=billing_mode,
        **(provisioned if billing_mode == "PROVISIONED" else {}),
    )
    return name


def _capacity(throughput: dict[str, Any]) -> tuple[int, int]:
    return throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]


TO_PROVISIONED: dict[str, Any] = {
    "BillingMode": "PROVISIONED",
    "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
    "GlobalSecondaryIndexUpdates": [
        {
            "Update": {
                "IndexName": GSI,
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 4},
            }
        }
    ],
}


@pytest.mark.parametrize(
    ("created", "update", "table_capacity", "index_capacity"),
    [
        pytest.param("PROVISIONED", {"BillingMode": "PAY_PER_REQUEST"}, (0, 0), (0, 0), id="to-on-demand"),
        pytest.param("PAY_PER_REQUEST", TO_PROVISIONED, (2, 3), (1, 4), id="to-provisioned"),
        pytest.param(
            "PROVISIONED",
            {"ProvisionedThroughput": {"ReadCapacityUnits": 9, "WriteCapacityUnits": 8}},
            (9, 8),
            (5, 6),
            id="provisioned-new-capacity",
        ),
    ],
)
def test_update_table_reports_the_capacity_of_its_billing_mode(
    ddb: Any,
    created: str,
    update: dict[str, Any],
    table_capacity: tuple[int, int],
    index_capacity: tuple[int, int],
) -> None:
    name = _create(ddb, created)

    answered = ddb.update_table(TableName=name, **update)["TableDescription"]

    described = ddb.describe_table(TableName=name)["Table"]
    for table in (answered, described):
        assert table["BillingModeSummary"]["BillingMode"] == update.get("BillingMode", created)
        assert _capacity(table["ProvisionedThroughput"]) == table_capacity
        assert "NumberOfDecreasesToday" in table["ProvisionedThroughput"]
        (index,) = table["GlobalSecondaryIndexes"]
        assert _capacity(index["ProvisionedThroughput"]) == index_capacity


def test_a_switch_to_on_demand_records_when_it_happened(ddb: Any) -> None:
    name = _create(ddb, "PROVISIONED")
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    summary = ddb.describe_table(TableName=name)["Table"]["BillingModeSummary"]
    assert "LastUpdateToPayPerRequestDateTime" in summary


def test_on_demand_and_back_restores_the_given_capacity(ddb: Any) -> None:
    name = _create(ddb, "PROVISIONED")
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    ddb.update_table(TableName=name, **TO_PROVISIONED)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["BillingModeSummary"] == {"BillingMode": "PROVISIONED"}
    assert _capacity(table["ProvisionedThroughput"]) == (2, 3)
    assert _capacity(table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]) == (1, 4)


@pytest.mark.parametrize(
    ("created", "update", "message"),
    [
        pytest.param(
            "PROVISIONED",
            {
                "BillingMode": "PAY_PER_REQUEST",
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            },
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified",
            id="on-demand-with-capacity",
        ),
        pytest.param(
            "PAY_PER_REQUEST",
            {"BillingMode": "PROVISIONED"},
            "ReadCapacityUnits and WriteCapacityUnits must both be specified",
            id="provisioned-without-capacity",
        ),
    ],
)
def test_update_table_refuses_a_switch_dynamodb_refuses_and_changes_nothing(
    ddb: Any, created: str, update: dict[str, Any], message: str
) -> None:
    name = _create(ddb, created)
    with pytest.raises(ClientError, match=message) as raised:
        ddb.update_table(TableName=name, **update)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert ddb.describe_table(TableName=name)["Table"]["BillingModeSummary"]["BillingMode"] == created
