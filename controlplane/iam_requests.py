"""What an AWS request asks IAM for: its signer's access key, and each action on each resource it needs.

Resources follow the services' authorization references (service-authorization/latest/reference/):
- DynamoDB: `table/<name>`, `table/<name>/index/<index>`, `table/<name>/stream/<label>`. A transaction is
  authorized per item as the underlying PutItem, UpdateItem, DeleteItem, ConditionCheckItem or GetItem,
  with dynamodb:EnclosingOperation set (amazondynamodb/latest/developerguide/transaction-apis-iam.html).
- CloudWatch Logs: `log-group:<group>:log-stream:<stream>` for CreateLogStream and PutLogEvents.
- SQS: the queue's ARN, built from its URL. KMS: the key's ARN (an alias cannot be resolved here).

An operation this module cannot name a resource for returns `resource=None`: the gate then allows and logs
it as undecided, rather than guess a resource and deny.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Signer:
    access_key: str
    region: str
    service: str  # the signing name: dynamodb (Streams too), logs, sqs, kms, sts, lambda...


@dataclass(frozen=True)
class Authorization:
    """One action on one resource; resource None when this module cannot tell which resource it is."""

    action: str
    resource: str | None
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # extra condition keys


def signer(authorization_header: str) -> Signer | None:
    """The SigV4 credential scope of a request; None when it is not SigV4-signed."""
    match = _CREDENTIAL.search(authorization_header or "")
    return Signer(*match.groups()) if match else None


def operation(target: str, query_string: str, body: bytes, content_type: str) -> str:
    """The API operation: from X-Amz-Target (JSON protocols), else the query protocol's Action."""
    if target:
        return target.rpartition(".")[2]
    params = parse_qs(query_string)
    if "form-urlencoded" in content_type:
        params.update(parse_qs(body.decode("utf-8", "replace")))
    return (params.get("Action") or [""])[0]


def form(body: bytes) -> dict[str, str]:
    """A query-protocol body as single values."""
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def authorizations(signing: Signer, op: str, body: bytes, account: str) -> list[Authorization]:
    """Every (action, resource) the request needs; one row with resource None when unknown."""
    params = _json(body)
    arn = f"arn:aws:{{service}}:{signing.region}:{account}:"
    service = signing.service
    if service == "dynamodb":
        return _dynamodb(op, params, arn.format(service="dynamodb"))
    if service == "logs" and op in ("PutLogEvents", "CreateLogStream"):
        group, stream = params.get("logGroupName", ""), params.get("logStreamName", "")
        return [
            Authorization(f"logs:{op}", f"{arn.format(service='logs')}log-group:{group}:log-stream:{stream}")
        ]
    if service == "sqs":
        url = params.get("QueueUrl") or form(body).get("QueueUrl", "")
        name = urlparse(url).path.rstrip("/").rpartition("/")[2]
        return [Authorization(f"sqs:{op}", f"{arn.format(service='sqs')}{name}" if name else None)]
    if service == "kms":
        key = str(params.get("KeyId", ""))
        if key.startswith("arn:") and ":key/" in key:
            return [Authorization(f"kms:{op}", key)]
        if re.fullmatch(r"[0-9a-f-]{36}|mrk-[0-9a-f]{32}", key):
            return [Authorization(f"kms:{op}", f"{arn.format(service='kms')}key/{key}")]
        return [Authorization(f"kms:{op}", None)]
    return [Authorization(f"{service}:{op}", None)]


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


# TransactWriteItems / TransactGetItems member -> the action IAM checks for it.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_NO_RESOURCE = {"ListTables", "ListStreams", "DescribeLimits", "DescribeEndpoints", "ListBackups"}


def _table(prefix: str, name: str) -> str:
    return name if name.startswith("arn:") else f"{prefix}table/{name}"


def _dynamodb(op: str, params: dict[str, Any], prefix: str) -> list[Authorization]:
    if op in ("TransactWriteItems", "TransactGetItems"):
        found = []
        context = {"dynamodb:EnclosingOperation": (op,)}
        for item in params.get("TransactItems") or []:
            for kind, member in (item or {}).items():
                if kind in _TRANSACT_ACTIONS and isinstance(member, dict):
                    resource = _table(prefix, str(member.get("TableName", "")))
                    found.append(Authorization(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", resource, context))
        return _unique(found) or [Authorization(f"dynamodb:{op}", None)]
    if op in ("BatchGetItem", "BatchWriteItem"):
        tables = sorted((params.get("RequestItems") or {}).keys())
        return [Authorization(f"dynamodb:{op}", _table(prefix, t)) for t in tables] or [
            Authorization(f"dynamodb:{op}", None)
        ]
    if op in _NO_RESOURCE:
        return [Authorization(f"dynamodb:{op}", "*")]
    if "StreamArn" in params:  # DynamoDB Streams: DescribeStream, GetShardIterator
        return [Authorization(f"dynamodb:{op}", str(params["StreamArn"]))]
    if "ShardIterator" in params:  # moto's iterators start with their stream's ARN: "<arn>|1|<id>"
        stream = str(params["ShardIterator"]).partition("|")[0]
        return [Authorization(f"dynamodb:{op}", stream if stream.startswith("arn:") else None)]
    name = params.get("TableName") or params.get("ResourceArn")
    if not name:
        return [Authorization(f"dynamodb:{op}", None)]
    resource = _table(prefix, str(name))
    if params.get("IndexName") and op in ("Query", "Scan"):
        resource = f"{resource}/index/{params['IndexName']}"
    return [Authorization(f"dynamodb:{op}", resource)]


def _unique(found: list[Authorization]) -> list[Authorization]:
    seen: dict[tuple[str, str | None], Authorization] = {}
    for item in found:
        seen.setdefault((item.action, item.resource), item)
    return list(seen.values())
