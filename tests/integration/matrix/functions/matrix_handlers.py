"""Handlers the change matrix swaps in for the books functions: they report what the runtime gave them."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import boto3

# Variables a row may change or add; nothing secret (the runtime's credentials stay out of the answer).
REPORTED = (
    "LOG_LEVEL",
    "EVENT_STORE_TABLE",
    "READ_MODEL_TABLE",
    "MATRIX_FLAG",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
)


def _report(event: dict[str, Any], context: Any) -> dict[str, Any]:
    query = event.get("queryStringParameters") or {}
    seconds = float(event.get("sleep") or query.get("sleep") or 0)
    if seconds:
        time.sleep(seconds)
    answer = {
        "event": event,
        "environment": {name: os.environ[name] for name in REPORTED if name in os.environ},
        "memory_limit_in_mb": int(context.memory_limit_in_mb),
    }
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(answer)}


command = _report
query = _report


def projector(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Record each stream record's item id with the size of the batch it came in."""
    table = boto3.resource("dynamodb").Table(os.environ["READ_MODEL_TABLE"])
    for record in event["Records"]:
        item_id = record["dynamodb"].get("Keys", {}).get("pk", {}).get("S", "")
        table.put_item(Item={"id": f"seen#{item_id}", "batch_size": len(event["Records"])})
    return {"batchItemFailures": []}
