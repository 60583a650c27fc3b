"""DynamoDB stream records (as dynamodbstreams get_records returns them) → the event Lambda sends."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

EVENT_VERSION = "1.1"


def _jsonable(value: Any) -> Any:
    """Attribute values with binary (B/BS) made base64 strings, as in the JSON Lambda delivers."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def _epoch_seconds(value: Any) -> float | None:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return None


def sequence_number(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def arrival_seconds(record: dict[str, Any]) -> float | None:
    return _epoch_seconds(record.get("dynamodb", {}).get("ApproximateCreationDateTime"))


def to_lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """One Records[] entry: eventName as the stream says, images only when present."""
    source = record["dynamodb"]
    change: dict[str, Any] = {}
    created = _epoch_seconds(source.get("ApproximateCreationDateTime"))
    if created is not None:
        change["ApproximateCreationDateTime"] = float(int(created))
    change["Keys"] = _jsonable(source.get("Keys", {}))
    for image in ("NewImage", "OldImage"):
        if image in source:
            change[image] = _jsonable(source[image])
    change["SequenceNumber"] = str(source["SequenceNumber"])
    change["SizeBytes"] = int(source.get("SizeBytes", 0))
    change["StreamViewType"] = source.get("StreamViewType", "")
    lambda_record: dict[str, Any] = {
        "eventID": record.get("eventID", ""),
        "eventName": record["eventName"],
        "eventVersion": EVENT_VERSION,
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion") or region,
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        identity = record["userIdentity"]
        lambda_record["userIdentity"] = {
            "type": identity.get("Type", identity.get("type")),
            "principalId": identity.get("PrincipalId", identity.get("principalId")),
        }
    return lambda_record


def build_event(records: list[dict[str, Any]], stream_arn: str, region: str) -> dict[str, Any]:
    """The event for one batch: {"Records": [...]} in stream order."""
    return {"Records": [to_lambda_record(record, stream_arn, region) for record in records]}
