"""What the benchmarks share: the running stack's stack.env, a token, boto3 clients and side HTTP APIs."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests

from devstack import stack_env
from devstack.config import StackConfig
from mock_idp.client import ClientError, fetch_token


def load_stack() -> dict[str, str]:
    """The running stack's values from the one shared loader (STACK_ENV, LOCAL_STATE_DIR or .local/)."""
    values = stack_env.load()
    if not values.get("API_URL"):
        sys.exit(f"no running stack ({stack_env.default_path()} missing): run `make local-up` first")
    return values


def pid_dir(stack: Mapping[str, str]) -> Path:
    """Where local-up keeps its PID files: next to LOG_DIR in the stack's state directory."""
    log_dir = stack.get("LOG_DIR")
    return Path(log_dir).parent / "pids" if log_dir else StackConfig.from_env().pid_dir


def client(stack: Mapping[str, str], service: str, endpoint_url: str | None = None) -> Any:
    """A boto3 client of the control plane (or of `endpoint_url`, e.g. the emulator's Lambda API)."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url or stack["AWS_ENDPOINT_URL"],
        region_name=stack.get("AWS_REGION", "us-east-1"),
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def token(stack: Mapping[str, str], scope: str = "books:write") -> str:
    try:
        return fetch_token(stack["TOKEN_URL"], "local-writer", scope=scope)
    except ClientError as exc:
        sys.exit(f"no token: {exc}")


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    sys.exit(f"timed out waiting for {what}")


@dataclass(frozen=True)
class BenchApi:
    """A side HTTP API in the control plane, served by the emulator under `Host: <id>.execute-api.localhost`."""

    api_id: str
    permissions: tuple[tuple[str, str], ...]  # (function name, statement id) to remove again

    def host(self, stack: Mapping[str, str]) -> str:
        return f"{self.api_id}.execute-api.localhost:{stack['API_URL'].rsplit(':', 1)[1]}"


def create_bench_api(stack: Mapping[str, str], routes: Mapping[str, str], name: str = "bench") -> BenchApi:
    """An API whose routes ({route key: COMMAND_FUNCTION or QUERY_FUNCTION}) all need a JWT, without throttling.

    The stack's own stage throttles each route (50 rps by default); a side API measures the pipeline itself.
    """
    apigw, lam = client(stack, "apigatewayv2"), client(stack, "lambda")
    api_id = apigw.create_api(Name=f"{name}-{uuid.uuid4().hex[:6]}", ProtocolType="HTTP")["ApiId"]
    authorizer = apigw.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": stack["ISSUER_URL"], "Audience": ["books-api"]},
    )
    permissions = []
    integrations: dict[str, str] = {}
    for function_key in sorted(set(routes.values())):
        function_arn = lam.get_function_configuration(FunctionName=stack[function_key])["FunctionArn"]
        integrations[function_key] = apigw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            PayloadFormatVersion="2.0",
            IntegrationMethod="POST",
            IntegrationUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        )["IntegrationId"]
        statement_id = f"{name}-{api_id}"
        lam.add_permission(
            FunctionName=stack[function_key],
            StatementId=statement_id,
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:us-east-1:{function_arn.split(':')[4]}:{api_id}/*/*",
        )
        permissions.append((stack[function_key], statement_id))
    for route_key, function_key in routes.items():
        apigw.create_route(
            ApiId=api_id,
            RouteKey=route_key,
            AuthorizationType="JWT",
            AuthorizerId=authorizer["AuthorizerId"],
            Target=f"integrations/{integrations[function_key]}",
        )
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return BenchApi(api_id, tuple(permissions))


def delete_bench_api(stack: Mapping[str, str], api: BenchApi) -> None:
    """Delete it and wait until the emulator stops serving it: while two APIs are served, a request to the
    gateway's address without an API host is ambiguous (404), so a bench run right after would fail."""
    client(stack, "apigatewayv2").delete_api(ApiId=api.api_id)
    lam = client(stack, "lambda")
    for function_name, statement_id in api.permissions:
        lam.remove_permission(FunctionName=function_name, StatementId=statement_id)
    wait_until_served(stack, api, served=False)


def wait_until_served(
    stack: Mapping[str, str], api: BenchApi, timeout: float = 30.0, served: bool = True
) -> None:
    """The emulator re-reads the control plane every few seconds; its health lists the APIs it serves."""

    def in_health() -> bool | None:
        try:
            health = requests.get(f"{stack['EMULATOR_LAMBDA_URL']}/_emulator/health", timeout=2).json()
        except (requests.RequestException, ValueError):
            return None
        return "$default" in (health.get("apis") or {}).get(api.api_id, [])

    state = "serve" if served else "stop serving"
    wait_until(lambda: in_health() is served, timeout, f"the emulator to {state} API {api.api_id}")
