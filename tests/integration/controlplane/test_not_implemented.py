"""Against `python -m controlplane`: an operation moto lacks answers 501 NotImplemented at once, unretried."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def _client(endpoint: str, service: str) -> Any:
    make_client: Any = boto3.client  # boto3's overloads accept only literal service names
    # Standard retry mode retries 500s, as the Go SDK does: a 501 must not be retried.
    retries = Config(retries={"mode": "standard", "max_attempts": 5})
    return make_client(service, endpoint_url=endpoint, region_name="us-east-1", config=retries)


CASES: list[tuple[str, str, Callable[[Any], Any]]] = [
    (
        "iam",
        "SetSecurityTokenServicePreferences",
        lambda c: c.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token"),
    ),
    ("apigatewayv2", "GetAuthorizers", lambda c: c.get_authorizers(ApiId="nope")),
]


@pytest.mark.parametrize(("service", "operation", "call"), CASES, ids=[case[1] for case in CASES])
def test_an_unimplemented_operation_fails_with_501_naming_it_without_retries(
    moto_endpoint: str, service: str, operation: str, call: Callable[[Any], Any]
) -> None:
    with pytest.raises(ClientError) as raised:
        call(_client(moto_endpoint, service))
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    assert response["Error"]["Code"] == "NotImplemented"
    assert response["Error"]["Message"] == f"{operation} is not implemented by the local control plane (moto)"
