"""The on-failure destination: the invocation record Lambda sends for a discarded stream batch."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from emulator.event_sources.stream_records import arrival_seconds, sequence_number


def _iso_seconds(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def invocation_record(
    *,
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    function_error: str | None,
    shard_id: str,
    stream_arn: str,
    records: list[dict[str, Any]],
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The JSON document Lambda sends to SQS/SNS for DynamoDB streams (records themselves not included)."""
    stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": function_error},
        "version": "1.0",
        "timestamp": stamp,
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": sequence_number(records[0]),
            "endSequenceNumber": sequence_number(records[-1]),
            "approximateArrivalOfFirstRecord": _iso_seconds(arrival_seconds(records[0])),
            "approximateArrivalOfLastRecord": _iso_seconds(arrival_seconds(records[-1])),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def send(client_factory: Any, destination_arn: str, document: dict[str, Any]) -> None:
    """Deliver to an SQS queue or SNS topic ARN (blocking boto3 call)."""
    parts = destination_arn.split(":")
    if len(parts) < 6:
        raise ValueError(f"not an ARN: {destination_arn!r}")
    service, account, name = parts[2], parts[4], parts[5]
    body = json.dumps(document)
    if service == "sqs":
        sqs = client_factory("sqs")
        # The URL from the ARN, as Lambda itself needs no sqs:GetQueueUrl from the execution role.
        queue_url = f"{sqs.meta.endpoint_url.rstrip('/')}/{account}/{name}"
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    elif service == "sns":
        client_factory("sns").publish(TopicArn=destination_arn, Message=body)
    else:
        raise ValueError(f"unsupported on-failure destination {destination_arn!r} (SQS or SNS)")
