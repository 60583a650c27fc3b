"""GetRecords answers in plain JSON: moto's generic serializer spent a third of its CPU on stream reads."""

from __future__ import annotations

import base64
import calendar
import datetime
import json
from collections.abc import Callable
from typing import Any


def _json_value(value: Any) -> Any:
    """What moto's JSON serializer writes for the two non-JSON types in stream records."""
    if isinstance(value, datetime.datetime):  # unixtimestamp, truncated to milliseconds
        seconds = calendar.timegm(value.timetuple())
        return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds
    if isinstance(value, bytes | bytearray):  # blob (B and BS attribute values)
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode(result: dict[str, Any]) -> str:
    """A GetRecords result (Records, NextShardIterator) as DynamoDB Streams' JSON body."""
    return json.dumps({k: v for k, v in result.items() if v is not None}, default=_json_value)


def get_records(self: Any) -> str:
    """DynamoDBStreamsHandler.get_records, answering the same document without the shape-driven serializer.

    py-spy on the control plane during the soak bench: 35% of its CPU was `ActionResult.execute_result`
    serializing GetRecords pages for the stream poller (moto walks the botocore shape for every attribute
    of every image). A stream record is already the JSON document DynamoDB Streams returns.
    """
    limit = self._get_param("Limit")
    result = self.backend.get_records(self._get_param("ShardIterator"), 1000 if limit is None else limit)
    return encode(result)


def reviewed_functions() -> dict[str, Callable[..., Any]]:
    """The moto function this module replaces, by the name REVIEWED_SOURCES uses."""
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    return {
        "moto.dynamodbstreams.responses.DynamoDBStreamsHandler.get_records": DynamoDBStreamsHandler.get_records
    }


def apply() -> None:
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    DynamoDBStreamsHandler.get_records = get_records  # type: ignore[method-assign,assignment]
