"""What an AWS request asks IAM for: its signer's access key, and each action on each resource it needs.

Resources follow the services' authorization references (service-authorization/latest/reference/):
- DynamoDB: `table/<name>`, `table/<name>/index/<index>`, `table/<name>/stream/<label>`. A transaction is
  authorized per item as the underlying PutItem, UpdateItem, DeleteItem, ConditionCheckItem or GetItem,
  with dynamodb:EnclosingOperation set (amazondynamodb/latest/developerguide/transaction-apis-iam.html).
- CloudWatch Logs: `log-group:<group>:log-stream:<stream>` for CreateLogStream and PutLogEvents.
- SQS: the queue's ARN, built from its URL (CreateQueue: its name).
- ECR, Lambda, IAM, API Gateway v2, the rest of Logs, KMS and STS: controlplane/iam_control_requests.py.

An operation this module cannot name a resource for returns `resource=None`: the gate then allows and logs
it as undecided, rather than guess a resource and deny.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

if TYPE_CHECKING:  # it builds on this module's types: imported where it is called
    from controlplane.iam_control_requests import Lookup

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
    # Condition keys (lower case; `<prefix>/*` covers a family) for which `context` is complete: one of them
    # missing from it is absent from the request, as on AWS, rather than undecided (iam_policy.KNOWN_KEYS).
    known: frozenset[str] = frozenset()
    needs_permission: bool = True  # False: AWS allows it to every caller (sts:GetCallerIdentity)


def rest_operation_name(signing: Signer, method: str, raw_path: str) -> str:
    """A REST request's operation (Lambda, API Gateway v2), "" when none matches."""
    from controlplane import iam_control_requests

    return iam_control_requests.rest_op(signing, method, raw_path)


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


def authorizations(
    signing: Signer,
    op: str,
    body: bytes,
    account: str,
    *,
    method: str = "POST",
    raw_path: str = "/",
    lookup: Lookup | None = None,
) -> list[Authorization]:
    """Every (action, resource) the request needs; one row with resource None when unknown.

    `lookup` reads what a resource's name or a condition key needs from the control plane's state (a role's
    path, an alias's key, a mapping's function); `method` and `raw_path` name a REST request's operation."""
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
        return _sqs(op, params, body, arn.format(service="sqs"))
    from controlplane import iam_control_requests

    found = iam_control_requests.authorizations(signing, op, body, account, params, method, raw_path, lookup)
    return found if found is not None else [Authorization(f"{service}:{op}", None)]


def _sqs(op: str, params: dict[str, Any], body: bytes, prefix: str) -> list[Authorization]:
    query = form(body) if not params else {}
    url = params.get("QueueUrl") or query.get("QueueUrl", "")
    name = (
        urlparse(url).path.rstrip("/").rpartition("/")[2] or params.get("QueueName") or query.get("QueueName")
    )
    resource = f"{prefix}{name}" if name else None
    found = [Authorization(f"sqs:{op}", resource)]
    if op == "CreateQueue" and (params.get("tags") or any(k.startswith("Tag.") for k in query)):
        # "To be able to tag a queue on creation, you must have the sqs:CreateQueue and sqs:TagQueue
        # permissions" (AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
        found.append(Authorization("sqs:TagQueue", resource))
    return found


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
