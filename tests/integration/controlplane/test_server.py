"""Against a real `python -m controlplane`: connections are kept alive and every one sees the same state."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-target, Signature=00"
)


def _connection(endpoint: str) -> http.client.HTTPConnection:
    url = urlsplit(endpoint)
    return http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)


def _dynamodb(conn: http.client.HTTPConnection, target: str, body: dict[str, Any]) -> dict[str, Any]:
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"DynamoDB_20120810.{target}",
        "Authorization": AUTH,
    }
    conn.request("POST", "/", body=json.dumps(body), headers=headers)
    response = conn.getresponse()
    assert response.version == 11  # HTTP/1.1, so the connection may stay open
    payload: dict[str, Any] = json.loads(response.read())
    assert response.status == 200, payload
    return payload


def test_one_connection_serves_many_requests(moto_endpoint: str) -> None:
    conn = _connection(moto_endpoint)
    _dynamodb(conn, "ListTables", {})
    first = conn.sock
    _dynamodb(conn, "ListTables", {})
    assert conn.sock is first  # not closed by the server after the first answer
    conn.close()


@pytest.mark.parametrize("connections", [2, 5])
def test_every_connection_sees_the_same_state(moto_endpoint: str, connections: int) -> None:
    name = f"cp-server-{connections}"
    boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name="us-east-1").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    opened = [_connection(moto_endpoint) for _ in range(connections)]
    for index, conn in enumerate(opened):
        _dynamodb(conn, "PutItem", {"TableName": name, "Item": {"pk": {"S": f"k{index}"}}})
    for conn in opened:
        scanned = _dynamodb(conn, "Scan", {"TableName": name})
        assert sorted(item["pk"]["S"] for item in scanned["Items"]) == [f"k{i}" for i in range(connections)]
        conn.close()


def test_more_clients_than_cheroots_default_all_stay_kept_alive(moto_endpoint: str) -> None:
    """cheroot closed every kept-alive connection past its 10th, and the reconnects overflowed its backlog."""
    opened = [_connection(moto_endpoint) for _ in range(40)]
    for conn in opened:
        _dynamodb(conn, "ListTables", {})
    sockets = [conn.sock for conn in opened]
    assert None not in sockets  # http.client drops its socket when the answer says `Connection: close`
    for conn in opened:
        _dynamodb(conn, "ListTables", {})
    assert [conn.sock for conn in opened] == sockets  # none was closed by the server after its first answer
    for conn in opened:
        conn.close()
