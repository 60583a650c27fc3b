"""Handlers for the emulator conformance suite: each one provokes one gateway, runtime or poller behaviour."""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from typing import Any

import boto3

# Lines the log test looks for in CloudWatch Logs; unique enough not to appear by accident.
STDOUT_LINE = "conformance-log: hello on stdout"
STDERR_LINE = "conformance-log: hello on stderr"
# Stream records whose item has this id are reported as failed (batchItemFailures), every time.
POISON_ID = "poison"


def _request_body(event: dict[str, Any]) -> str:
    body = event.get("body") or ""
    return base64.b64decode(body).decode() if event.get("isBase64Encoded") else body


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The whole payload format 2.0 event back as the JSON body."""
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}


def respond_with(event: dict[str, Any], context: Any) -> Any:
    """Return exactly the value under "return" in the JSON request body (any JSON: dict, string, list...)."""
    return json.loads(_request_body(event))["return"]


def crash(event: dict[str, Any], context: Any) -> Any:
    raise RuntimeError("conformance: crash on purpose")


def exit_runtime(event: dict[str, Any], context: Any) -> Any:
    """Kill the runtime process mid-invocation (no response, no error report)."""
    sys.stdout.flush()
    os._exit(1)


def sleep(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Sleep past the function's (or the integration's) timeout; the seconds come from ?seconds=, default 30."""
    seconds = float((event.get("queryStringParameters") or {}).get("seconds", "30"))
    time.sleep(seconds)
    return {"statusCode": 200, "body": "woke up"}


def log(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Write known lines to stdout and stderr, tagged with the request id so a test can find its own."""
    marker = (event.get("queryStringParameters") or {}).get("marker", "")
    sys.stdout.write(f"{STDOUT_LINE} {marker}\n")
    sys.stdout.flush()
    sys.stderr.write(f"{STDERR_LINE} {marker}\n")
    sys.stderr.flush()
    return {"statusCode": 200, "body": context.aws_request_id}


def _item_id(record: dict[str, Any]) -> str:
    keys = record["dynamodb"].get("Keys", {})
    return str(keys.get("id", {}).get("S", ""))


def stream_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Record every delivered stream record in RECORDS_TABLE; report records of the poison item as failed."""
    table = boto3.resource("dynamodb").Table(os.environ["RECORDS_TABLE"])
    failures = []
    for record in event["Records"]:
        item_id = _item_id(record)
        sequence = record["dynamodb"]["SequenceNumber"]
        table.update_item(
            Key={"pk": f"{item_id}#{record['eventName']}#{sequence}"},
            UpdateExpression="ADD deliveries :one SET item_id = :id, event_name = :name, batch_size = :size",
            ExpressionAttributeValues={
                ":one": 1,
                ":id": item_id,
                ":name": record["eventName"],
                ":size": len(event["Records"]),
            },
        )
        if item_id == POISON_ID:
            failures.append({"itemIdentifier": sequence})
    return {"batchItemFailures": failures}


def read_item(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """GetItem on the table named by ?table= (default TABLE_NAME), as the function's own role; errors are unhandled."""
    table = (event.get("queryStringParameters") or {}).get("table") or os.environ["TABLE_NAME"]
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "book-1"}}).get("Item")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"item": item}),
    }
