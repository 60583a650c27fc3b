"""The gateway against a real moto control plane: registry read-back, JWT, permission, refresh after changes."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
import requests
from aiohttp import web

from emulator.config import Settings
from emulator.gateway import create_gateway_app
from tests.support.processes import free_port
from tests.support.waits import wait_for
from tests.unit.emulator.apigw.fakes import ISSUER, FakeInvoker, FakeSink, Issuer

REGION = "us-east-1"


def aws(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)


@contextmanager
def gateway_running(settings: Settings, invoker: Any, sink: Any, issuer: Issuer) -> Iterator[str]:
    """Serve create_gateway_app on a free port from its own event loop thread, as the process wiring would."""
    loop = asyncio.new_event_loop()
    port = free_port()
    started = threading.Event()
    runner_box: dict[str, web.AppRunner] = {}

    async def start() -> None:
        app = create_gateway_app(settings, invoker, sink, fetcher=issuer.fetch)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runner_box["runner"] = runner

    def main() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner_box["runner"].cleanup())
        loop.close()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert started.wait(20), "gateway did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(20)


@pytest.fixture
def deployed(moto_endpoint: str) -> dict[str, str]:
    """An HTTP API like the Terraform one: JWT authorizer, Lambda proxy integration, routes, stage, permission."""
    suffix = uuid.uuid4().hex[:8]
    iam, lam, gw = aws(moto_endpoint, "iam"), aws(moto_endpoint, "lambda"), aws(moto_endpoint, "apigatewayv2")
    role = iam.create_role(RoleName=f"gw-test-{suffix}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    function = lam.create_function(
        FunctionName=f"gw-test-{suffix}",
        Runtime="python3.11",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )["FunctionArn"]
    api_id = gw.create_api(Name=f"gw-test-{suffix}", ProtocolType="HTTP")["ApiId"]
    authorizer = gw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        Name="jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": ISSUER, "Audience": ["books-api"]},
    )["AuthorizerId"]
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}/invocations"
    integration = gw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=uri,
        PayloadFormatVersion="2.0",
        TimeoutInMillis=5000,
    )["IntegrationId"]
    gw.create_route(ApiId=api_id, RouteKey="GET /health", Target=f"integrations/{integration}")
    gw.create_route(
        ApiId=api_id,
        RouteKey="GET /books/{id}",
        Target=f"integrations/{integration}",
        AuthorizationType="JWT",
        AuthorizerId=authorizer,
        AuthorizationScopes=["books:read"],
    )
    gw.create_stage(
        ApiId=api_id,
        StageName="$default",
        AutoDeploy=True,
        StageVariables={"env": "it"},
        AccessLogSettings={
            "DestinationArn": f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/apigateway/gw-test-{suffix}",
            "Format": "$context.requestId $context.httpMethod $context.routeKey $context.status",
        },
    )
    account = function.split(":")[4]
    lam.add_permission(
        FunctionName=function,
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{account}:{api_id}/*/*",
    )
    yield {"api_id": api_id, "function": function, "integration": integration, "suffix": suffix}
    gw.delete_api(ApiId=api_id)
    lam.delete_function(FunctionName=function)


def test_gateway_serves_what_the_control_plane_holds_and_follows_changes(
    moto_endpoint: str, deployed: dict[str, str]
) -> None:
    settings = Settings(control_plane_url=moto_endpoint, region=REGION, refresh_seconds=0.2)
    issuer, invoker, sink = Issuer(), FakeInvoker(), FakeSink()
    host = {
        "Host": f"{deployed['api_id']}.execute-api.localhost"
    }  # other tests' APIs may share the moto server
    with gateway_running(settings, invoker, sink, issuer) as url:
        health = wait_for(
            lambda: (r := requests.get(f"{url}/health", headers=host, timeout=5)).status_code == 200 and r,
            timeout=15,
            what="GET /health through the gateway",
        )
        event = health.json()["echo"]
        assert event["routeKey"] == "GET /health"
        assert event["stageVariables"] == {"env": "it"}
        assert event["requestContext"]["apiId"] == deployed["api_id"]
        assert invoker.calls[-1][0] == deployed["function"]

        assert requests.get(f"{url}/books/1", headers=host, timeout=5).status_code == 401
        token = issuer.token(scope="books:read")
        ok = requests.get(f"{url}/books/1", headers={**host, "Authorization": f"Bearer {token}"}, timeout=5)
        assert ok.status_code == 200
        assert ok.json()["echo"]["pathParameters"] == {"id": "1"}
        assert any(
            group == f"/aws/apigateway/gw-test-{deployed['suffix']}"
            and message.endswith("GET GET /books/{id} 200")
            for group, _, message, _ in sink.lines
        )

        # A new route appears after the next refresh, without restarting the gateway.
        gw, lam = aws(moto_endpoint, "apigatewayv2"), aws(moto_endpoint, "lambda")
        assert requests.get(f"{url}/authors", headers=host, timeout=5).status_code == 404
        gw.create_route(
            ApiId=deployed["api_id"],
            RouteKey="GET /authors",
            Target=f"integrations/{deployed['integration']}",
        )
        wait_for(
            lambda: requests.get(f"{url}/authors", headers=host, timeout=5).status_code == 200,
            timeout=10,
            what="the new route to be served",
        )

        # Removing the Lambda permission makes the integration fail as on AWS.
        lam.remove_permission(FunctionName=deployed["function"], StatementId="apigw")
        denied = wait_for(
            lambda: (
                (r := requests.get(f"{url}/health", headers=host, timeout=5)).status_code == 500 and r.text
            ),
            timeout=10,
            what="the permission removal to be seen",
        )
        # (a Response with status >= 400 is falsy, hence the body text as the probe's value)
        assert json.loads(denied) == {"message": "Internal Server Error"}
