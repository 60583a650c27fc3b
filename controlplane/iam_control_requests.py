"""What a deployer's control-plane calls ask IAM for: ECR, Lambda, IAM, API Gateway v2, Logs, KMS and STS.

Actions, resources and condition keys follow the Service Authorization Reference
(service-authorization/latest/reference/list_<service>.html) and the services' own pages:
- Lambda: lambda/latest/dg/lambda-api-permissions-ref.html. Functions by function ARN; mappings by
  `event-source-mapping:<UUID>`. Only Create/Update/DeleteEventSourceMapping take lambda:FunctionArn; for
  GetEventSourceMapping that key is known to be absent. CreateFunction, and UpdateFunctionConfiguration with
  a Role, also need iam:PassRole on the role with iam:PassedToService = lambda.amazonaws.com
  (IAM/latest/UserGuide/id_roles_use_passrole.html).
- API Gateway v2: the action is the HTTP method (apigateway:GET...), the resource the path without /v2, as
  `arn:aws:apigateway:<region>::/apis/<id>/...` (apigateway/latest/developerguide/arn-format-reference.html).
- IAM: roles by `role/<path><name>`, the path read from the role (a role that does not exist yet, or no
  more, is named without one, as IAM's access-denied messages for it do).
- CloudWatch Logs: `log-group:<name>`; DescribeLogGroups names no group (`log-group::log-stream:`, the
  resource IAM's access-denied message for it names: hashicorp/terraform-provider-aws#8804).
- KMS: keys by ARN (an alias resolved to its key); an alias operation is authorized on the alias and on its
  key (kms/latest/developerguide/alias-access.html); CreateKey and ListAliases by `*`.
- STS GetCallerIdentity needs no permission: AWS allows it even under an explicit Deny
  (STS/latest/APIReference/API_GetCallerIdentity.html).

Tag keys: a JSON request's top-level `Tags`/`tags` (a map, or a list of Key/Value or TagKey/TagValue) give
aws:RequestTag/<key> and aws:TagKeys; the request's context is then complete for both, so a request that
carries no tags (ListAliases) has neither, and a condition on them is false, as on AWS
(IAM/latest/UserGuide/reference_policies_condition-keys.html, aws:RequestTag).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import quote, unquote

from controlplane.iam_requests import Authorization, Signer, form
from controlplane.rest_operations import rest_operation

# The request's context is complete for these: a missing key is absent, not unknown (see iam_policy).
TAG_KEYS = frozenset({"aws:requesttag/*", "aws:tagkeys"})
LAMBDA_SERVICE = "lambda.amazonaws.com"
# Lambda operations whose IAM action has another name (list_awslambda.html).
_LAMBDA_ACTIONS = {"Invoke": "InvokeFunction", "InvokeWithResponseStream": "InvokeFunction"}
_MAPPING_CONDITIONED = {"CreateEventSourceMapping", "UpdateEventSourceMapping", "DeleteEventSourceMapping"}
# Calls with no resource-level permissions: "*" is their only resource.
_UNSCOPED = {
    "ecr": {"GetAuthorizationToken"},
    "lambda": {"ListFunctions", "ListEventSourceMappings", "GetAccountSettings"},
    "kms": {"CreateKey", "ListAliases", "ListKeys"},
}


class Lookup(Protocol):
    """What a resource's ARN or condition keys need from the control plane's state."""

    def role_arn(self, account: str, name: str) -> str | None: ...

    def mapping_function(self, region: str, account: str, uuid: str) -> str | None: ...

    def key_arn(self, region: str, account: str, key: str) -> str | None: ...


def rest_op(signing: Signer, method: str, raw_path: str) -> str:
    """The operation of a REST request (Lambda, API Gateway), or "" when no model names it."""
    found = rest_operation(signing.service, method, raw_path)
    return found.name if found else ""


def authorizations(
    signing: Signer,
    op: str,
    body: bytes,
    account: str,
    params: dict[str, Any],
    method: str,
    raw_path: str,
    lookup: Lookup | None,
) -> list[Authorization] | None:
    """The request's authorizations, or None for a service this module does not map."""
    region, service = signing.region, signing.service
    arn = f"arn:aws:{service}:{region}:{account}:"
    if service == "sts" and op == "GetCallerIdentity":
        return [Authorization("sts:GetCallerIdentity", "*", needs_permission=False)]
    if service == "iam":
        return _iam(op, form(body), account, lookup)
    context, known = tag_context(params)
    if op == "UntagResource" and not params:  # REST: the keys are in the query string, not read here
        context, known = {}, frozenset()
    if op in _UNSCOPED.get(service, ()):
        return [Authorization(f"{service}:{op}", "*", context, known)]
    if service == "ecr":
        return _ecr(op, params, region, account, context, known)
    if service == "lambda":
        return _lambda(op, params, method, raw_path, region, account, lookup, context, known)
    if service == "apigateway":
        return _apigateway(method, raw_path, region, context, known)
    if service == "logs":
        return _logs(op, params, arn, context, known)
    if service == "kms":
        return _kms(op, params, arn, region, account, lookup, context, known)
    return None


def tag_context(params: Mapping[str, Any]) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """aws:RequestTag/<key> and aws:TagKeys from a JSON request's tags (or the keys an untag request
    removes), and the keys now known."""
    removed = params.get("TagKeys", params.get("tagKeys"))
    if isinstance(removed, list):  # an untag request: aws:TagKeys are the keys it removes
        return {"aws:TagKeys": tuple(str(k) for k in removed)}, TAG_KEYS
    raw = params.get("Tags", params.get("tags"))
    tags: dict[str, str] = {}
    if isinstance(raw, Mapping):
        tags = {str(k): str(v) for k, v in raw.items()}
    elif isinstance(raw, list):
        for tag in raw:
            if isinstance(tag, Mapping):
                key = tag.get("Key", tag.get("TagKey"))
                if key is not None:
                    tags[str(key)] = str(tag.get("Value", tag.get("TagValue", "")))
    elif raw is not None:
        return {}, frozenset()  # a shape not read here: leave the keys unknown
    context: dict[str, tuple[str, ...]] = {f"aws:RequestTag/{k}": (v,) for k, v in tags.items()}
    if tags:
        context["aws:TagKeys"] = tuple(tags)
    return context, TAG_KEYS


def _ecr(
    op: str,
    params: dict[str, Any],
    region: str,
    account: str,
    context: dict[str, tuple[str, ...]],
    known: frozenset[str],
) -> list[Authorization]:
    action = f"ecr:{op}"
    if params.get("resourceArn"):
        return [Authorization(action, str(params["resourceArn"]), context, known)]
    registry = str(params.get("registryId") or account)
    names = params.get("repositoryNames") or (
        [params["repositoryName"]] if params.get("repositoryName") else []
    )
    if not names:
        return [Authorization(action, None)]
    prefix = f"arn:aws:ecr:{region}:{registry}:repository/"
    return [Authorization(action, f"{prefix}{name}", context, known) for name in names]


def _function_arn(name: str, region: str, account: str) -> str:
    # FunctionName may be a name, a partial ARN (<account>:function:<name>) or a full ARN.
    if name.startswith("arn:"):
        return name
    if ":function:" in name:
        return f"arn:aws:lambda:{region}:{name}"
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def _lambda(
    op: str,
    params: dict[str, Any],
    method: str,
    raw_path: str,
    region: str,
    account: str,
    lookup: Lookup | None,
    context: dict[str, tuple[str, ...]],
    known: frozenset[str],
) -> list[Authorization]:
    rest = rest_operation("lambda", method, raw_path)
    path = rest.params if rest else {}
    action = f"lambda:{_LAMBDA_ACTIONS.get(op, op)}"
    if "UUID" in path:
        mapping = f"arn:aws:lambda:{region}:{account}:event-source-mapping:{path['UUID']}"
        function = None
        if op in _MAPPING_CONDITIONED:
            given = params.get("FunctionName")
            function = (
                _function_arn(str(given), region, account)
                if given
                else (lookup.mapping_function(region, account, path["UUID"]) if lookup else None)
            )
        if function is not None:
            return [
                Authorization(action, mapping, {**context, "lambda:FunctionArn": (function,)}, known | _FN)
            ]
        if op in _MAPPING_CONDITIONED:  # its function is unknown: leave lambda:FunctionArn undecided
            return [Authorization(action, mapping, context, known)]
        return [Authorization(action, mapping, context, known | _FN)]
    if op == "CreateEventSourceMapping":
        function = _function_arn(str(params.get("FunctionName", "")), region, account)
        return [Authorization(action, "*", {**context, "lambda:FunctionArn": (function,)}, known | _FN)]
    if "Resource" in path:  # tags: the tagged resource's ARN
        return [Authorization(action, path["Resource"], context, known)]
    name = path.get("FunctionName") or (params.get("FunctionName") if op == "CreateFunction" else None)
    if not name:
        return [Authorization(action, None)]
    found = [Authorization(action, _function_arn(str(name), region, account), context, known)]
    role = params.get("Role")
    if role and op in ("CreateFunction", "UpdateFunctionConfiguration"):
        passed = {"iam:PassedToService": (LAMBDA_SERVICE,)}
        found.append(Authorization("iam:PassRole", str(role), passed, frozenset({"iam:passedtoservice"})))
    return found


_FN = frozenset({"lambda:functionarn"})


def _apigateway(
    method: str, raw_path: str, region: str, context: dict[str, tuple[str, ...]], known: frozenset[str]
) -> list[Authorization]:
    rest = rest_operation("apigateway", method, raw_path)
    path = raw_path.partition("?")[0]
    if rest is None or not path.startswith("/v2/"):
        return [Authorization(f"apigateway:{method}", None)]
    if "resource_arn" in rest.params:  # /tags/<URL-encoded ARN> (arn-format-reference.html)
        suffix = "/tags/" + quote(rest.params["resource_arn"], safe="")
    else:
        suffix = unquote(path.removeprefix("/v2"))
    return [Authorization(f"apigateway:{method}", f"arn:aws:apigateway:{region}::{suffix}", context, known)]


def _logs(
    op: str, params: dict[str, Any], arn: str, context: dict[str, tuple[str, ...]], known: frozenset[str]
) -> list[Authorization]:
    action = f"logs:{op}"
    if op == "DescribeLogGroups":
        return [Authorization(action, f"{arn}log-group::log-stream:", context, known)]
    if params.get("resourceArn"):
        return [Authorization(action, str(params["resourceArn"]).removesuffix(":*"), context, known)]
    group = params.get("logGroupName") or params.get("logGroupIdentifier")
    if not group:
        return [Authorization(action, None)]
    group_arn = str(group) if str(group).startswith("arn:") else f"{arn}log-group:{group}"
    found = [Authorization(action, group_arn, context, known)]
    if op == "CreateLogGroup" and "aws:TagKeys" in context:
        # Tags on CreateLogGroup need logs:TagResource too (AmazonCloudWatchLogs/latest/APIReference/
        # API_CreateLogGroup.html).
        found.append(Authorization("logs:TagResource", group_arn, context, known))
    return found


def _kms(
    op: str,
    params: dict[str, Any],
    arn: str,
    region: str,
    account: str,
    lookup: Lookup | None,
    context: dict[str, tuple[str, ...]],
    known: frozenset[str],
) -> list[Authorization]:
    action = f"kms:{op}"
    alias = params.get("AliasName")
    if alias and op in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        alias_arn = str(alias) if str(alias).startswith("arn:") else f"{arn}{alias}"
        key = _key_arn(str(params.get("TargetKeyId") or alias), arn, region, account, lookup)
        return [Authorization(action, alias_arn, context, known), Authorization(action, key, context, known)]
    key_id = params.get("KeyId")
    if not key_id:
        return [Authorization(action, None)]
    return [Authorization(action, _key_arn(str(key_id), arn, region, account, lookup), context, known)]


def _key_arn(key: str, arn: str, region: str, account: str, lookup: Lookup | None) -> str | None:
    """A key's ARN from its id or ARN, or (through the control plane's state) from an alias."""
    if key.startswith("arn:") and ":key/" in key:
        return key
    if re.fullmatch(r"[0-9a-f-]{36}|mrk-[0-9a-f]{32}", key):
        return f"{arn}key/{key}"
    return lookup.key_arn(region, account, key) if lookup else None


def _iam(op: str, params: dict[str, str], account: str, lookup: Lookup | None) -> list[Authorization]:
    action = f"iam:{op}"
    name = params.get("RoleName")
    if not name:
        return [Authorization(action, None)]
    role = lookup.role_arn(account, name) if lookup and op != "CreateRole" else None
    path = params.get("Path", "/") if op == "CreateRole" else "/"
    return [Authorization(action, role or f"arn:aws:iam::{account}:role{path}{name}")]
