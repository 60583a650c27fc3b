"""Reserved concurrency: calls past the reservation get Lambda's (or API Gateway's) throttle answer.

reserved-one (reserved_concurrent_executions = 1) sleeps for ?seconds=, so parallel calls overlap;
reserved-zero (= 0) never runs. The stream case reserves 0 on the stream consumer for a while.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.emulator.conftest import Emulator
from tests.integration.emulator.test_conformance_streams import deliveries
from tests.support.waits import wait_for

THROTTLE_BODY = {
    "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
    "Type": "User",
    "message": "Rate Exceeded.",
}
INTERNAL = {"message": "Internal Server Error"}


def invoke(emulator: Emulator, key: str, event: dict[str, Any]) -> requests.Response:
    name = emulator.outputs["function_names"][key]
    url = f"http://127.0.0.1:{emulator.lambda_port}/2015-03-31/functions/{name}/invocations"
    return requests.post(url, data=json.dumps(event), timeout=60)


def through_invoke_api(emulator: Emulator, key: str) -> requests.Response:
    return invoke(emulator, key, {"queryStringParameters": {"seconds": "3"}})


def through_gateway(emulator: Emulator, key: str) -> requests.Response:
    path = "/reserved/slow?seconds=3" if key == "reserved-one" else "/reserved/zero"
    return emulator.request("GET", path)


def answer(response: requests.Response) -> tuple[int, str, Any]:
    """(status, error type header, JSON body or text) — what a caller can tell apart."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return response.status_code, response.headers.get("x-amzn-ErrorType", ""), body


THROTTLED_BY_LAMBDA = (429, "TooManyRequestsException", THROTTLE_BODY)
THROTTLED_BY_GATEWAY = (500, "", INTERNAL)

CASES = [
    ("invoke API", through_invoke_api, "reserved-one", (200, "", {"statusCode": 200, "body": "woke up"}), 1),
    ("invoke API", through_invoke_api, "reserved-zero", None, 0),
    ("gateway", through_gateway, "reserved-one", (200, "", "woke up"), 1),
    ("gateway", through_gateway, "reserved-zero", None, 0),
]


@pytest.mark.parametrize(
    ("caller", "call", "key", "ran", "running"), CASES, ids=[f"{c[0]}, {c[2]}" for c in CASES]
)
def test_five_parallel_calls_past_the_reservation_are_throttled(
    emulator: Emulator, caller: str, call: Any, key: str, ran: Any, running: int
) -> None:
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = [answer(r) for r in pool.map(lambda _: call(emulator, key), range(5))]
    throttled = THROTTLED_BY_LAMBDA if caller == "invoke API" else THROTTLED_BY_GATEWAY
    expected = [throttled] * (5 - running) + [ran] * running

    assert sorted(map(_key, answers)) == sorted(map(_key, expected)), f"{answers}\n{emulator.log_tail()}"


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def test_an_sdk_sees_too_many_requests_with_the_reason(emulator: Emulator) -> None:
    client = boto3.client(
        "lambda",
        endpoint_url=f"http://127.0.0.1:{emulator.lambda_port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName=emulator.outputs["function_names"]["reserved-zero"], Payload=b"{}")

    error = raised.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_the_stream_poller_backs_off_while_throttled_and_delivers_once_the_cap_frees(
    emulator: Emulator,
) -> None:
    lambdas = emulator.aws("lambda")
    consumer = emulator.outputs["function_names"]["stream-consumer"]
    lambdas.put_function_concurrency(FunctionName=consumer, ReservedConcurrentExecutions=0)
    try:
        wait_for(
            lambda: invoke(emulator, "stream-consumer", {"Records": []}).status_code == 429,
            timeout=30,
            what="the emulator to serve the reservation of 0",
        )
        emulator.aws("dynamodb").put_item(
            TableName=emulator.outputs["source_table"], Item={"id": {"S": "held"}, "v": {"N": "1"}}
        )
        wait_for(
            lambda: re.search(r"stream-consumer throttled; backing off", emulator.log_tail(20000)),
            timeout=60,
            what="the poller to be throttled",
        )
        assert ("held", "INSERT") not in deliveries(emulator)
    finally:
        lambdas.delete_function_concurrency(FunctionName=consumer)

    seen = wait_for(
        lambda: deliveries(emulator).get(("held", "INSERT")), timeout=60, what="the held record delivered"
    )
    assert seen == [1]
