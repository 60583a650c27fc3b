"""WSGI middleware in front of moto: calls signed with a role session's keys are authorized as IAM would.

Who is checked: only requests signed with an access key that moto's STS issued (AssumeRole), i.e. function
code running as its execution role, or a deployer's role session (the deploy-role proof,
tests/integration/terraform/test_deploy_role.py). Terraform, the emulator and tests sign with static keys,
which act as the account's administrator, as before. A request signed with LAMBDA_SERVICE_ACCESS_KEY is the Lambda
service assuming an execution role: its AssumeRole is checked against the role's trust policy with the
principal {"Service": "lambda.amazonaws.com"}.

Policies are read from moto on every call, so a re-applied policy takes effect on the next call: the role's
inline and attached managed policies, and the resource's own policy where moto keeps one (a DynamoDB table's
or stream's resource-based policy, an SQS queue policy, a KMS key policy). Within one account, an Allow in
either is enough and a Deny in either wins, so both are evaluated as one set, the resource policy's
statements applying only where their Principal names the role or its session (reference_policies_evaluation
-logic_policy-eval-basics.html). For a KMS key that is exact when its key policy delegates to the account's
IAM policies (a root principal statement), as every key of this stack's does. KMS grants are not read (the
stack's roles get nothing through one). A KMS call on a key whose policy cannot be read (an alias or key
moto no longer has) that no identity policy allows is undecided (allowed, logged); an explicit Deny still
denies. A KMS call on "*" or on an alias is decided by the identity policies alone, as on AWS.

Modes (IAM_MODE): `enforce` answers a denied call with the service's AccessDenied error; `log` lets it
through; both record every decision, one JSON line each, in the CloudWatch Logs group DECISION_LOG_GROUP,
one stream per role session (a function name), which `python -m emulator iam-report` reads. `off` checks
and records nothing.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from controlplane import iam_policy, iam_requests
from controlplane.iam_policy import Decision, Effect, NamedPolicy, Request

log = logging.getLogger("controlplane.iam")

MODES = ("enforce", "log", "off")
# The access key the emulator signs AssumeRole with when it assumes an execution role as Lambda does.
LAMBDA_SERVICE_ACCESS_KEY = "LAMBDASERVICEPRINCIPAL"
LAMBDA_SERVICE_PRINCIPAL = "lambda.amazonaws.com"
DECISION_LOG_GROUP = "/emulator/iam/decisions"
# The name a resource's own policy has in decisions: "resource-policy/<Sid>"; a KMS key's, "key-policy/<Sid>".
RESOURCE_POLICY = "resource-policy"
KEY_POLICY = "key-policy"
# The statement of a call AWS allows to every caller (sts:GetCallerIdentity).
NO_PERMISSION_NEEDED = "(no permission needed)"

WSGIApp = Callable[..., Iterable[bytes]]


@dataclass(frozen=True)
class Session:
    """A role session moto's STS issued."""

    account: str
    role_arn: str
    role_name: str
    session_name: str
    role_id: str

    @property
    def arn(self) -> str:
        return f"arn:aws:sts::{self.account}:assumed-role/{self.role_name}/{self.session_name}"


class MotoDirectory:
    """Role sessions, role policies and the decision log, read from moto's in-process backends."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._streams: set[tuple[str, str]] = set()

    def session(self, access_key: str) -> Session | None:
        cached = self._sessions.get(access_key)
        if cached is not None or not access_key.startswith("ASIA"):
            return cached
        from moto.sts.models import sts_backends

        for account in list(sts_backends.keys()):
            for assumed in list(sts_backends[account]["aws"].assumed_roles):
                if assumed.access_key_id == access_key:
                    role_name = assumed.role_arn.rpartition("/")[2]
                    role = self.role(account, role_name)
                    role_id = role.id if role is not None else ""
                    session = Session(account, assumed.role_arn, role_name, assumed.session_name, role_id)
                    self._sessions[access_key] = session
                    return session
        return None

    def role(self, account: str, role_name: str) -> Any | None:
        from moto.iam.models import iam_backends

        try:
            return iam_backends[account]["aws"].get_role(role_name)
        except Exception:  # moto's NotFoundException, or an account that has no IAM yet
            return None

    def identity_policies(self, account: str, role_name: str) -> list[NamedPolicy]:
        role = self.role(account, role_name)
        if role is None:
            return []
        policies = [NamedPolicy(name, document) for name, document in list(role.policies.items())]
        for arn, managed in list(role.managed_policies.items()):
            version = next((v for v in managed.versions if v.is_default), None)
            if version is not None:
                policies.append(NamedPolicy(arn.rpartition("/")[2], version.document))
        return policies

    def resource_policies(self, resource: str) -> list[NamedPolicy]:
        """The resource's own policy where moto keeps one: a DynamoDB table's (covering its indexes) or
        stream's, an SQS queue's, or a KMS key's."""
        parts = resource.split(":", 5)
        if len(parts) < 6 or not parts[3] or not parts[4]:
            return []
        service, region, account, name = parts[2], parts[3], parts[4], parts[5]
        if service == "dynamodb":
            from moto.dynamodb.models import dynamodb_backends

            arn = resource if "/stream/" in resource else resource.split("/index/")[0]
            policy = dynamodb_backends[account][region].resource_policies.get(arn)
            return [NamedPolicy(RESOURCE_POLICY, policy.policy_doc)] if policy is not None else []
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            queue = sqs_backends[account][region].queues.get(name)
            document = queue.policy if queue is not None else None
            return [NamedPolicy(RESOURCE_POLICY, document)] if document else []
        if service == "kms" and name.startswith("key/"):
            from moto.kms.models import kms_backends

            key = kms_backends[account][region].keys.get(name.removeprefix("key/"))
            return [NamedPolicy(KEY_POLICY, key.policy)] if key is not None and key.policy else []
        return []

    # -- what iam_control_requests.Lookup reads: names and condition keys from moto's state ----------

    def role_arn(self, account: str, name: str) -> str | None:
        role = self.role(account, name)
        return str(role.arn) if role is not None else None

    def mapping_function(self, region: str, account: str, uuid: str) -> str | None:
        from moto.awslambda.models import lambda_backends

        mapping = lambda_backends[account][region].get_event_source_mapping(uuid)
        return str(mapping.function_arn) if mapping is not None else None

    def key_arn(self, region: str, account: str, key: str) -> str | None:
        from moto.kms.models import kms_backends

        try:  # an AWS alias (alias/aws/dynamodb) moto makes its key for, as the call itself will
            found = kms_backends[account][region].describe_key(key)
        except Exception:  # moto's NotFoundException (a deleted alias) or KeyError
            return None
        return str(found.arn)

    def trust_policy(self, account: str, role_name: str) -> list[NamedPolicy] | None:
        role = self.role(account, role_name)
        if role is None:
            return None
        return [NamedPolicy("trust-policy", role.assume_role_policy_document)]

    def record(self, account: str, region: str, stream: str, line: str) -> None:
        """Append one event to the decision log group (created on first use; Terraform never owns it)."""
        from moto.logs.models import logs_backends

        backend = logs_backends[account][region]
        with self._lock:
            if (account + region, stream) not in self._streams:
                if DECISION_LOG_GROUP not in backend.groups:
                    backend.create_log_group(DECISION_LOG_GROUP, {})
                group = backend.groups[DECISION_LOG_GROUP]
                if stream not in group.streams:
                    backend.create_log_stream(DECISION_LOG_GROUP, stream)
                self._streams.add((account + region, stream))
            try:
                backend.put_log_events(
                    DECISION_LOG_GROUP, stream, [{"timestamp": int(time.time() * 1000), "message": line}]
                )
            except Exception:  # the group was deleted or moto was reset: create it again next time
                self._streams.discard((account + region, stream))
                raise


class IamGate:
    """The middleware: authorizes role-session calls, records each decision, then calls moto (or refuses)."""

    def __init__(self, app: WSGIApp, mode: str, directory: MotoDirectory | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"IAM mode must be one of {', '.join(MODES)}, not {mode!r}")
        self._app = app
        self.mode = mode
        self._directory = directory or MotoDirectory()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.mode == "off":
            return self._app(environ, start_response)
        signing = iam_requests.signer(environ.get("HTTP_AUTHORIZATION", ""))
        if signing is None:
            return self._app(environ, start_response)
        is_service = signing.access_key == LAMBDA_SERVICE_ACCESS_KEY
        session = None if is_service else self._directory.session(signing.access_key)
        if not is_service and session is None:
            return self._app(environ, start_response)  # static keys: the account's administrator
        body = _read_body(environ)
        op = iam_requests.operation(
            environ.get("HTTP_X_AMZ_TARGET", ""),
            environ.get("QUERY_STRING", ""),
            body,
            environ.get("CONTENT_TYPE", ""),
        ) or iam_requests.rest_operation_name(signing, environ.get("REQUEST_METHOD", ""), _raw_path(environ))
        if is_service:
            refusal = self._service_assume_role(signing, op, body)
        else:
            assert session is not None
            refusal = self._authorize(session, signing, op, body, environ)
        if refusal is not None and self.mode == "enforce":
            status, headers, payload = refusal
            start_response(status, headers)
            return [payload]
        return self._app(environ, start_response)

    # -- function calls ----------------------------------------------------------------------------------

    def _authorize(
        self, session: Session, signing: iam_requests.Signer, op: str, body: bytes, environ: dict[str, Any]
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        policies = self._directory.identity_policies(session.account, session.role_name)
        context = _request_context(session, signing, environ)
        refusal = None
        found = iam_requests.authorizations(
            signing,
            op,
            body,
            session.account,
            method=environ.get("REQUEST_METHOD", ""),
            raw_path=_raw_path(environ),
            lookup=self._directory,
        )
        for needed in found:
            if not needed.needs_permission:
                decision = Decision(Effect.ALLOW, NO_PERMISSION_NEEDED)
            elif needed.resource is None:
                decision = Decision(Effect.UNDECIDED, reason=f"no resource is known for {needed.action}")
            else:
                request = Request(
                    needed.action,
                    needed.resource,
                    {**context, **needed.context},
                    principal={"AWS": (session.role_arn, session.arn)},
                    known=needed.known,
                )
                own = self._directory.resource_policies(needed.resource)
                decision = iam_policy.evaluate(policies + own, request)
                if (
                    decision.effect is Effect.IMPLICIT_DENY
                    and ":key/" in needed.resource
                    and needed.action.lower().startswith("kms:")
                    and not any(p.name == KEY_POLICY for p in own)
                ):
                    # A key policy can grant the role directly; unread, it must not turn into a deny. Only
                    # IAM policies grant the calls on "*" or on an alias (ListAliases, CreateKey, the alias
                    # side of CreateAlias: kms/latest/developerguide/alias-access.html).
                    decision = Decision(Effect.UNDECIDED, reason="the KMS key policy is not read")
            self._record(session, signing, op, needed.action, needed.resource or "", decision)
            if decision.denied and refusal is None:
                message = _denied_message(session.arn, needed.action, needed.resource or "*", decision)
                refusal = _error(environ, signing.service, message)
        return refusal

    def _record(
        self,
        session: Session,
        signing: iam_requests.Signer,
        op: str,
        action: str,
        resource: str,
        decision: Decision,
    ) -> None:
        enforced = decision.denied and self.mode == "enforce"
        line = json.dumps(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "function": session.session_name,
                "principal": session.arn,
                "role": session.role_arn,
                "operation": op,
                "action": action,
                "resource": resource,
                "decision": decision.effect.value,
                "statement": decision.statement,
                "enforced": enforced,
                **({"reason": decision.reason} if decision.reason else {}),
            },
            separators=(",", ":"),
        )
        if decision.denied or decision.effect is Effect.UNDECIDED:
            log.info("iam %s", line)
        try:
            self._directory.record(session.account, signing.region, session.session_name, line)
        except Exception as exc:
            log.warning("iam decision not recorded in %s: %s", DECISION_LOG_GROUP, exc)

    # -- the Lambda service assuming an execution role -----------------------------------------------

    def _service_assume_role(
        self, signing: iam_requests.Signer, op: str, body: bytes
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        if op != "AssumeRole":
            return None
        role_arn = iam_requests.form(body).get("RoleArn", "")
        parts = role_arn.split(":")
        account = parts[4] if len(parts) > 5 else ""
        role_name = role_arn.rpartition("/")[2]
        trust = self._directory.trust_policy(account, role_name)
        if trust is None:
            decision = Decision(Effect.IMPLICIT_DENY, reason="the role does not exist")
        else:
            principal = {"Service": LAMBDA_SERVICE_PRINCIPAL}
            decision = iam_policy.evaluate(trust, Request("sts:AssumeRole", role_arn, {}, principal))
        if not decision.denied:
            return None
        log.info("iam %s may not assume %s (%s)", LAMBDA_SERVICE_PRINCIPAL, role_arn, decision.effect.value)
        message = (
            f"{LAMBDA_SERVICE_PRINCIPAL} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        )
        return _query_error("403 Forbidden", "AccessDenied", message)


def wrap(app: WSGIApp, mode: str) -> WSGIApp:
    """`app` behind the gate, or `app` itself when the mode is off."""
    return app if mode == "off" else IamGate(app, mode)


def _raw_path(environ: dict[str, Any]) -> str:
    """The request's path as sent (percent-encoded): a REST path parameter may hold an encoded `/`."""
    from urllib.parse import quote

    return str(environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))).partition("?")[0]


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _request_context(
    session: Session, signing: iam_requests.Signer, environ: dict[str, Any]
) -> dict[str, tuple[str, ...]]:
    now = time.time()
    return {
        "aws:PrincipalArn": (session.role_arn,),
        "aws:PrincipalAccount": (session.account,),
        "aws:PrincipalType": ("AssumedRole",),
        "aws:userid": (f"{session.role_id}:{session.session_name}",),
        "aws:RequestedRegion": (signing.region,),
        "aws:SecureTransport": ("true" if environ.get("wsgi.url_scheme") == "https" else "false",),
        "aws:CurrentTime": (datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),),
        "aws:EpochTime": (str(int(now)),),
        "aws:ViaAWSService": ("false",),
    }


def _denied_message(principal: str, action: str, resource: str, decision: Decision) -> str:
    # The wording of IAM's access-denied messages (IAM/latest/UserGuide/troubleshoot_access-denied.html).
    head = f"User: {principal} is not authorized to perform: {action} on resource: {resource}"
    if decision.effect is Effect.EXPLICIT_DENY:
        kind = (
            "a resource-based"
            if decision.statement.startswith((f"{RESOURCE_POLICY}/", f"{KEY_POLICY}/"))
            else "an identity-based"
        )
        return f"{head} with an explicit deny in {kind} policy"
    return f"{head} because no identity-based policy allows the {action} action"


def _error(environ: dict[str, Any], service: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    if environ.get("HTTP_X_AMZ_TARGET"):  # JSON protocols: DynamoDB, Streams, Logs, KMS, SQS (JSON)
        body = json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException", "Message": message})
        status = "400 Bad Request" if service == "dynamodb" else "403 Forbidden"
        headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", str(uuid.uuid4()))]
        if service == "sqs":  # SQS's JSON protocol still reports the query protocol's code in this header
            headers.append(("x-amzn-query-error", "AccessDenied;Sender"))
        return status, headers, body.encode()
    return _query_error("403 Forbidden", "AccessDenied", message)


def _query_error(status: str, code: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    from xml.sax.saxutils import escape

    body = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return status, [("Content-Type", "text/xml")], body.encode()
