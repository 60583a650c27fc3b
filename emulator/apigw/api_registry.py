"""Registry of deployed HTTP APIs: a snapshot read from the control plane with boto3, refreshed in the background.

The request path only ever reads `registry.snapshot` (a dict lookup); boto3 runs in a worker thread every
`settings.refresh_seconds`, so a new `terraform apply` is served without a restart. A refresh that fails with
the control plane answering keeps the last good snapshot; one that cannot reach it marks the control plane
unreachable (the gateway then answers 503) until a refresh succeeds. moto has no GetAuthorizers, so
authorizers are fetched one by one by the ids the routes use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from emulator.apigw.lambda_permission import LambdaPolicy
from emulator.apigw.model import Api, Authorizer, Integration, Route, Snapshot, Stage, Throttle
from emulator.apigw.router import RouteTable, split_route_key
from emulator.config import Settings

log = logging.getLogger(__name__)

# HTTP APIs cap integrations at 30 s (http-api-quotas: "Maximum integration timeout 30 seconds").
MAX_INTEGRATION_TIMEOUT_MS = 30_000
_INVOKE_ARN = re.compile(r"^arn:[^:]+:apigateway:[^:]*:lambda:path/[^/]+/functions/(?P<fn>.+?)/invocations$")
_FUNCTION_ARN = re.compile(r"^arn:[^:]+:lambda:(?P<region>[^:]*):(?P<account>\d*):function:[^/]+$")
_LOG_GROUP_ARN = re.compile(r"^arn:[^:]+:logs:[^:]*:[^:]*:log-group:(?P<name>[^:]+?)(:\*)?$")

Loader = Callable[[], Snapshot]


def function_arn_of(uri: str) -> str:
    """The function ARN in a Lambda invoke ARN or a plain function ARN; "" for anything else."""
    found = _INVOKE_ARN.match(uri)
    candidate = found.group("fn") if found else uri
    return candidate if _FUNCTION_ARN.match(candidate) else ""


def unqualified(function_arn: str) -> str:
    """arn:...:function:name[:qualifier] -> arn:...:function:name (policies are read per function)."""
    parts = function_arn.split(":")
    return ":".join(parts[:7]) if len(parts) > 7 else function_arn


def log_group_name(destination_arn: str) -> str:
    found = _LOG_GROUP_ARN.match(destination_arn or "")
    return found.group("name") if found else ""


def _pages(call: Callable[..., dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        items.extend(page.get("Items", []))
        token = page.get("NextToken")
        if not token:
            return items


def _throttle(settings: dict[str, Any] | None) -> Throttle | None:
    if not settings or ("ThrottlingRateLimit" not in settings and "ThrottlingBurstLimit" not in settings):
        return None
    return Throttle(
        rate=float(settings.get("ThrottlingRateLimit", 0.0)),
        burst=int(settings.get("ThrottlingBurstLimit", 0)),
    )


def _stage(item: dict[str, Any]) -> Stage:
    access = item.get("AccessLogSettings") or {}
    return Stage(
        name=item["StageName"],
        variables=dict(item.get("StageVariables") or {}),
        access_log_group=log_group_name(access.get("DestinationArn", "")),
        access_log_format=access.get("Format", "") or "",
        default_throttle=_throttle(item.get("DefaultRouteSettings")),
        route_throttles={
            key: t
            for key, value in (item.get("RouteSettings") or {}).items()
            if (t := _throttle(value)) is not None
        },
    )


def _integration(item: dict[str, Any]) -> Integration:
    uri = item.get("IntegrationUri", "") or ""
    timeout = int(item.get("TimeoutInMillis") or MAX_INTEGRATION_TIMEOUT_MS)
    return Integration(
        id=item["IntegrationId"],
        type=item.get("IntegrationType", ""),
        uri=uri,
        function_arn=function_arn_of(uri),
        payload_format_version=item.get("PayloadFormatVersion", "") or "",
        timeout_ms=max(50, min(timeout, MAX_INTEGRATION_TIMEOUT_MS)),
    )


def _route(item: dict[str, Any]) -> Route:
    method, path = split_route_key(item["RouteKey"])
    target = item.get("Target", "") or ""
    return Route(
        id=item.get("RouteId", ""),
        route_key=item["RouteKey"],
        method=method,
        path=path,
        integration_id=target.split("/", 1)[1] if target.startswith("integrations/") else "",
        authorization_type=(item.get("AuthorizationType") or "NONE").upper(),
        authorizer_id=item.get("AuthorizerId", "") or "",
        scopes=tuple(item.get("AuthorizationScopes") or ()),
    )


def _authorizer(item: dict[str, Any]) -> Authorizer:
    jwt_config = item.get("JwtConfiguration") or {}
    return Authorizer(
        id=item["AuthorizerId"],
        name=item.get("Name", ""),
        type=(item.get("AuthorizerType") or "").upper(),
        identity_source=tuple(item.get("IdentitySource") or ("$request.header.Authorization",)),
        issuer=jwt_config.get("Issuer", "") or "",
        audience=tuple(jwt_config.get("Audience") or ()),
    )


def load_snapshot(settings: Settings) -> Snapshot:
    """Read every HTTP API and the policies of the functions they integrate with. Blocking (boto3)."""
    # boto3 is imported here, in the refresh thread, so the server listens before it is loaded.
    from botocore.exceptions import ClientError

    from emulator import aws_clients

    gateway = aws_clients.client(settings, "apigatewayv2")
    lambdas = aws_clients.client(settings, "lambda")
    account = _account_id(settings)
    apis: dict[str, Api] = {}
    functions: set[str] = set()
    for item in _pages(gateway.get_apis):
        if (item.get("ProtocolType") or "HTTP") != "HTTP":
            continue
        api_id = item["ApiId"]
        routes = [_route(r) for r in _pages(gateway.get_routes, ApiId=api_id)]
        integrations = {i.id: i for i in map(_integration, _pages(gateway.get_integrations, ApiId=api_id))}
        stages = {s.name: s for s in map(_stage, _pages(gateway.get_stages, ApiId=api_id))}
        authorizers = {}
        for authorizer_id in sorted({r.authorizer_id for r in routes if r.authorizer_id}):
            try:
                authorizers[authorizer_id] = _authorizer(
                    gateway.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
                )
            except ClientError as exc:
                log.warning(
                    "api %s: authorizer %s unreadable (%s); its routes will deny", api_id, authorizer_id, exc
                )
        functions.update(i.function_arn for i in integrations.values() if i.function_arn)
        apis[api_id] = Api(
            id=api_id,
            name=item.get("Name", ""),
            account_id=account,
            region=settings.region,
            routes=RouteTable(routes),
            integrations=integrations,
            authorizers=authorizers,
            stages=stages,
        )
    policies = {}
    for function in sorted({unqualified(f) for f in functions}):
        policies[function] = LambdaPolicy.parse(_policy_document(lambdas, function))
    return Snapshot(apis=apis, policies=policies)


def _policy_document(lambdas: Any, function_arn: str) -> str:
    from botocore.exceptions import ClientError

    try:
        return str(lambdas.get_policy(FunctionName=function_arn).get("Policy", ""))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return ""  # no policy (or no function): every invoke through the gateway is denied
        raise


_ACCOUNT_IDS: dict[str, str] = {}  # control plane URL -> account id (it never changes: ask once)


def _account_id(settings: Settings) -> str:
    if settings.control_plane_url in _ACCOUNT_IDS:
        return _ACCOUNT_IDS[settings.control_plane_url]
    from botocore.exceptions import BotoCoreError, ClientError

    from emulator import aws_clients

    try:
        account = str(aws_clients.client(settings, "sts").get_caller_identity()["Account"])
    except (ClientError, BotoCoreError, KeyError):
        return "123456789012"  # moto's default account, used by the local stack; asked again next refresh
    _ACCOUNT_IDS[settings.control_plane_url] = account
    return account


def cannot_reach(exc: BaseException) -> bool:
    """True when `exc` says the control plane did not answer at all (refused, closed, timed out)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    return isinstance(exc, BotoConnectionError | HTTPClientError | OSError)


class ApiRegistry:
    """Holds the current snapshot; `run()` refreshes it until cancelled."""

    def __init__(self, settings: Settings, loader: Loader | None = None) -> None:
        self._settings = settings
        self._loader: Loader = loader or (lambda: load_snapshot(settings))
        self.snapshot = Snapshot()
        self.loaded = False
        # Set once the first refresh was attempted: requests that arrive earlier wait for it.
        self.first_attempt = asyncio.Event()
        self._failing = False
        # False while the last refresh could not reach the control plane: the gateway answers 503 then.
        self.reachable = True
        self.last_refresh_epoch: float | None = None
        self.last_error = ""
        self._listeners: list[Callable[[Snapshot], Awaitable[None] | None]] = []

    def on_refresh(self, listener: Callable[[Snapshot], Awaitable[None] | None]) -> None:
        """Call `listener(snapshot)` after each successful refresh (e.g. to warm JWKS caches)."""
        self._listeners.append(listener)

    async def refresh(self) -> bool:
        """Load a new snapshot in a worker thread; on failure keep the old one. True when replaced."""
        try:
            return await self._refresh()
        finally:
            self.first_attempt.set()

    async def _refresh(self) -> bool:
        try:
            snapshot = await asyncio.to_thread(self._loader)
        except Exception as exc:  # the control plane may be down or mid-apply: serve what we had
            unreachable = cannot_reach(exc)
            # Warn once per outage, not every refresh interval.
            log.log(
                logging.DEBUG if self._failing else logging.WARNING,
                "control plane unreachable, the gateway answers 503 until it is back: %s"
                if unreachable
                else "control-plane refresh failed, keeping the last snapshot: %s",
                exc,
            )
            self._failing = True
            self.last_error = f"{type(exc).__name__}: {exc}"
            if unreachable:
                self.reachable = False
            return False
        if self._failing:
            log.warning("control-plane refresh recovered")
        self._failing = False
        self.reachable = True
        self.last_error = ""
        self.last_refresh_epoch = time.time()
        self.snapshot = snapshot
        if not self.loaded:
            log.info("serving %d HTTP API(s): %s", len(snapshot.apis), ", ".join(sorted(snapshot.apis)))
        self.loaded = True
        for listener in self._listeners:
            result = listener(snapshot)
            if result is not None:
                await result
        return True

    def control_plane_state(self) -> dict[str, object]:
        """Reachability and the last successful refresh (for the emulator's health)."""
        last = self.last_refresh_epoch
        return {
            "reachable": self.reachable and self.first_attempt.is_set(),
            "last_refresh": (
                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(last)) if last is not None else None
            ),
            "seconds_since_refresh": round(time.time() - last, 1) if last is not None else None,
            "last_error": self.last_error,
        }

    async def run(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self._settings.refresh_seconds)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ApiRegistry]:
        """Background refreshes (the first one right away) for the lifetime of the block.

        The server starts listening without waiting for the control plane; the parse step holds early
        requests until the first refresh was attempted.
        """
        task = asyncio.create_task(self.run(), name="apigw-registry-refresh")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
