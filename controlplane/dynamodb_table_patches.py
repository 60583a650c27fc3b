"""moto's UpdateTable billing-mode gap: a switch to PAY_PER_REQUEST keeps the provisioned capacity."""

from __future__ import annotations

import functools
from typing import Any

from controlplane.fingerprints import fingerprints

# moto 5.2.5: update_table assigns billing_mode and throughput as given; GSIs keep theirs; describe()
# reports self.throughput, BillingModeSummary {BillingMode} and each GSI's describe().
REVIEWED_SOURCES = {
    "moto.dynamodb.models.DynamoDBBackend.update_table": "3fa85dce71a0cdcaac470626f5165b9e8317905f8651a0ce7dc1e1db1f9474ac",
    "moto.dynamodb.models.table.Table.describe": "5f29f6e79d11a506c9da0c41b00a0f7efbbe123eee926750ab3e59fc600da4a5",
    "moto.dynamodb.models.table.GlobalSecondaryIndex.describe": "65f167383e240ff59883c23894a145e63188696f6733b4303208b9ba5c07c4ed",
}

PAY_PER_REQUEST, PROVISIONED = "PAY_PER_REQUEST", "PROVISIONED"


def current_fingerprints() -> dict[str, str]:
    return fingerprints(REVIEWED_SOURCES)


def _validation_error(message: str) -> Exception:
    from moto.dynamodb.exceptions import MockValidationException

    return MockValidationException(f"One or more parameter values were invalid: {message}")


def _check_switch(table: Any, billing_mode: str | None, throughput: dict[str, Any] | None) -> None:
    """Refuse what DynamoDB refuses, before moto changes anything."""
    if billing_mode == PAY_PER_REQUEST and throughput:
        raise _validation_error(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
        )
    if billing_mode == PROVISIONED and table.billing_mode == PAY_PER_REQUEST and not throughput:
        raise _validation_error(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
        )


def _on_demand(throughput: dict[str, Any]) -> dict[str, Any]:
    """DescribeTable of an on-demand table and of its GSIs reports 0 read and write capacity."""
    return {**throughput, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}


def _update_table_switching_billing(original: Any) -> Any:
    """DynamoDB's UpdateTable BillingMode switch, both ways.

    To PAY_PER_REQUEST: the table and every GSI report 0/0 capacity, and BillingModeSummary records
    LastUpdateToPayPerRequestDateTime. To PROVISIONED: the capacity given for the table (and, through
    GlobalSecondaryIndexUpdates, for each GSI) applies; moto already does that.
    """

    @functools.wraps(original)
    def update_table(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        billing_mode, throughput = kwargs.get("billing_mode"), kwargs.get("throughput")
        _check_switch(self.get_table(name), billing_mode, throughput)
        table = original(self, name, *args, **kwargs)
        decreases = table.throughput.get("NumberOfDecreasesToday", 0)
        if table.billing_mode == PAY_PER_REQUEST:
            table.throughput = _on_demand(table.throughput)
            for index in table.global_indexes:
                index.throughput = _on_demand(index.throughput)
            if billing_mode == PAY_PER_REQUEST:
                from moto.core.utils import utcnow

                table.last_update_to_pay_per_request = utcnow()  # a datetime, as CreationDateTime
        table.throughput.setdefault("NumberOfDecreasesToday", decreases)  # moto drops it on a new throughput
        return table

    return update_table


def _describe_with_billing_summary(original: Any) -> Any:
    @functools.wraps(original)
    def describe(self: Any, base_key: str = "TableDescription") -> dict[str, Any]:
        result: dict[str, Any] = original(self, base_key)
        switched = self.__dict__.get("last_update_to_pay_per_request")
        if switched is not None and self.billing_mode == PAY_PER_REQUEST:
            result[base_key]["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] = switched
        return result

    return describe


def install() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    DynamoDBBackend.update_table = _update_table_switching_billing(  # type: ignore[method-assign]
        DynamoDBBackend.update_table
    )
    Table.describe = _describe_with_billing_summary(Table.describe)  # type: ignore[method-assign]
