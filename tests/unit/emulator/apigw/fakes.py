"""Fakes and builders for the gateway unit tests: snapshots, an echo invoker, a log sink, RSA keys, tokens."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jwt
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from emulator.apigw.context import RequestContext
from emulator.apigw.lambda_permission import LambdaPolicy
from emulator.apigw.model import Api, Authorizer, Integration, Route, Snapshot, Stage
from emulator.apigw.router import RouteTable, split_route_key
from emulator.invocation import InvocationResult, InvocationStatus

T = TypeVar("T")

ACCOUNT = "123456789012"
REGION = "us-east-1"
API_ID = "abc123"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:local-books-query"
INVOKE_URI = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{FUNCTION_ARN}/invocations"
ISSUER = "http://issuer.test"
AUDIENCE = "books-api"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def route(
    route_key: str, *, auth: str = "", scopes: tuple[str, ...] = (), integration: str = "int1"
) -> Route:
    method, path = split_route_key(route_key)
    return Route(
        id="r-" + route_key,
        route_key=route_key,
        method=method,
        path=path,
        integration_id=integration,
        authorization_type="JWT" if auth else "NONE",
        authorizer_id=auth,
        scopes=scopes,
    )


def jwt_authorizer(auth_id: str = "auth1", audience: tuple[str, ...] = (AUDIENCE,)) -> Authorizer:
    return Authorizer(
        id=auth_id,
        name="jwt",
        type="JWT",
        identity_source=("$request.header.Authorization",),
        issuer=ISSUER,
        audience=audience,
    )


def api(
    *routes: Route,
    api_id: str = API_ID,
    stages: dict[str, Stage] | None = None,
    authorizers: tuple[Authorizer, ...] = (),
    timeout_ms: int = 30_000,
    payload_format: str = "2.0",
) -> Api:
    integration = Integration("int1", "AWS_PROXY", INVOKE_URI, FUNCTION_ARN, payload_format, timeout_ms)
    return Api(
        id=api_id,
        name="books",
        account_id=ACCOUNT,
        region=REGION,
        routes=RouteTable(routes),
        integrations={"int1": integration},
        authorizers={a.id: a for a in authorizers},
        stages=stages if stages is not None else {"$default": Stage("$default")},
    )


def allow_all_policy(api_id: str = API_ID) -> LambdaPolicy:
    return LambdaPolicy.parse(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "lambda:InvokeFunction",
                    "Principal": {"Service": "apigateway.amazonaws.com"},
                    "Resource": FUNCTION_ARN,
                    "Condition": {
                        "ArnLike": {"AWS:SourceArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*/*"}
                    },
                }
            ]
        }
    )


def snapshot(*apis: Api, policy: LambdaPolicy | None = None) -> Snapshot:
    chosen = policy if policy is not None else allow_all_policy()
    return Snapshot(apis={a.id: a for a in apis}, policies={FUNCTION_ARN: chosen})


def context(
    method: str = "GET",
    path: str = "/",
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    the_api: Api | None = None,
    **extra: Any,
) -> RequestContext:
    """A context as the parse step would leave it (mocked aiohttp request, no server)."""
    request = make_mocked_request(method, path, headers={"Host": "127.0.0.1:4567", **(headers or {})})
    chosen = the_api or api()
    raw_path, _, query = path.partition("?")
    ctx: RequestContext = {
        "request": request,
        "request_id": "Mc7UVioPPHcEKPA=",
        "start_ns": time.perf_counter_ns(),
        "time_epoch_ms": 1583348638390,
        "snapshot": snapshot(chosen),
        "api": chosen,
        "stage": chosen.stages["$default"],
        "method": method,
        "raw_path": raw_path,
        "route_path": raw_path,
        "raw_query": query,
        "body": body,
        "domain_name": "127.0.0.1",
        "source_ip": "127.0.0.1",
        "path_parameters": {},
    }
    ctx.update(extra)  # type: ignore[typeddict-item]
    return ctx


@dataclass
class FakeInvoker:
    """Returns `respond(function, payload)`; by default echoes the event back as the body of a 200."""

    respond: Callable[[str, bytes], Awaitable[InvocationResult]] | None = None
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def invoke(self, function: str, payload: bytes) -> InvocationResult:
        self.calls.append((function, json.loads(payload)))
        if self.respond is not None:
            return await self.respond(function, payload)
        body = json.dumps({"echo": json.loads(payload)})
        response = {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": body}
        return InvocationResult(InvocationStatus.OK, json.dumps(response).encode(), "req-1")


@dataclass
class FakeSink:
    lines: list[tuple[str, str, str, int | None]] = field(default_factory=list)

    def put(self, group: str, stream: str, message: str, timestamp_ms: int | None = None) -> None:
        self.lines.append((group, stream, message, timestamp_ms))


class Issuer:
    """An RSA signing key pair plus the discovery and JWKS documents a fake fetcher serves."""

    def __init__(self, kid: str = "key-1", issuer: str = ISSUER) -> None:
        self.issuer = issuer
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.kid = kid
        self.add_key(kid)
        self.fetches: list[str] = []
        self.reachable = True

    def add_key(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    async def fetch(self, url: str) -> Any:
        self.fetches.append(url)
        if not self.reachable:
            raise ConnectionError("issuer unreachable")
        if url == self.issuer + "/.well-known/openid-configuration":
            return {"issuer": self.issuer, "jwks_uri": self.issuer + "/.well-known/jwks.json"}
        if url == self.issuer + "/.well-known/jwks.json":
            return self.jwks()
        raise web.HTTPNotFound()

    def token(self, *, kid: str | None = None, algorithm: str = "RS256", **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "user-1",
            "iat": now,
            "exp": now + 300,
            **claims,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        chosen = kid or self.kid
        return jwt.encode(payload, self.keys[chosen], algorithm=algorithm, headers={"kid": chosen})
