"""Benchmark the emulator: GET latency through the full pipeline (JWT included), throughput, start-up time.

Needs a running local stack (`make local-up`). It adds a second HTTP API to the control plane whose
`GET /v1/catalog/books/{id}` route requires a JWT and integrates the query function (one DynamoDB read),
selected by `Host: <api-id>.execute-api.localhost`, then removes it again.

    .venv/bin/python bench/gateway_bench.py [--requests 2000] [--concurrency 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "services")]

from books.domain.isbn import isbn13_check_digit  # noqa: E402

from devstack import ports, stack_env  # noqa: E402
from mock_idp.client import ClientError, fetch_token  # noqa: E402


def load_stack() -> dict[str, str]:
    values = stack_env.load()
    if not values.get("API_URL"):
        sys.exit(f"no running stack ({stack_env.default_path()} missing): run `make local-up` first")
    return values


def client(stack: dict[str, str], service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack["AWS_ENDPOINT_URL"],
        region_name=stack.get("AWS_REGION", "us-east-1"),
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def token(stack: dict[str, str]) -> str:
    try:
        return fetch_token(stack["TOKEN_URL"], "local-writer", scope="books:write")
    except ClientError as exc:
        sys.exit(f"no token: {exc}")


def create_bench_api(stack: dict[str, str]) -> tuple[str, str]:
    """A JWT-protected API whose GET /v1/catalog/books/{id} runs the query function; returns (api id, sid)."""
    apigw, lam = client(stack, "apigatewayv2"), client(stack, "lambda")
    function_arn = lam.get_function_configuration(FunctionName=stack["QUERY_FUNCTION"])["FunctionArn"]
    api = apigw.create_api(Name=f"bench-{uuid.uuid4().hex[:6]}", ProtocolType="HTTP")
    api_id = api["ApiId"]
    authorizer = apigw.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": stack["ISSUER_URL"], "Audience": ["books-api"]},
    )
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        PayloadFormatVersion="2.0",
        IntegrationMethod="POST",
        IntegrationUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    apigw.create_route(
        ApiId=api_id,
        RouteKey="GET /v1/catalog/books/{id}",
        AuthorizationType="JWT",
        AuthorizerId=authorizer["AuthorizerId"],
        Target=f"integrations/{integration['IntegrationId']}",
    )
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    account = function_arn.split(":")[4]
    statement_id = f"bench-{api_id}"
    lam.add_permission(
        FunctionName=stack["QUERY_FUNCTION"],
        StatementId=statement_id,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{account}:{api_id}/*/*",
    )
    return api_id, statement_id


def delete_bench_api(stack: dict[str, str], api_id: str, statement_id: str) -> None:
    client(stack, "apigatewayv2").delete_api(ApiId=api_id)
    client(stack, "lambda").remove_permission(FunctionName=stack["QUERY_FUNCTION"], StatementId=statement_id)


def create_book(stack: dict[str, str], bearer: str) -> str:
    digits = "978" + f"{uuid.uuid4().int % 10**9:09d}"
    body = {"title": "Bench", "authors": ["Bench Author"], "isbn": digits + isbn13_check_digit(digits)}
    response = requests.post(
        f"{stack['API_URL']}/v1/catalog/books",
        json=body,
        timeout=15,
        headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
    )
    response.raise_for_status()
    return str(response.json()["id"])


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    sys.exit(f"timed out waiting for {what}")


class Target:
    """Host, port and headers of the benchmarked GET."""

    def __init__(self, api_url: str, api_id: str, book_id: str, bearer: str) -> None:
        self.host, port = api_url.split("//")[1].split(":")
        self.port = int(port)
        self.path = f"/v1/catalog/books/{book_id}"
        self.headers = {
            "Host": f"{api_id}.execute-api.localhost:{self.port}",
            "Authorization": f"Bearer {bearer}",
        }

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def get(self, conn: http.client.HTTPConnection) -> int:
        conn.request("GET", self.path, headers=self.headers)
        response = conn.getresponse()
        response.read()
        return response.status


def measure_latency(target: Target, count: int) -> list[float]:
    conn = target.connect()
    for _ in range(min(200, count)):
        target.get(conn)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        status = target.get(conn)
        samples.append((time.perf_counter() - started) * 1000)
        if status != 200:
            sys.exit(f"unexpected status {status} during the latency run")
    return samples


def measure_throughput_threads(target: Target, concurrency: int, seconds: float) -> tuple[float, int]:
    done = [0] * concurrency
    errors = [0] * concurrency
    stop_at = time.monotonic() + seconds

    def worker(slot: int) -> None:
        conn = target.connect()
        while time.monotonic() < stop_at:
            if target.get(conn) == 200:
                done[slot] += 1
            else:
                errors[slot] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started), sum(errors)


def measure_throughput_wrk(target: Target, concurrency: int, seconds: float) -> tuple[float, int]:
    args = ["wrk", "-t2", f"-c{concurrency}", f"-d{int(seconds)}s", "--latency"]
    for name, value in target.headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*args, f"http://{target.host}:{target.port}{target.path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
    non2xx = next((int(line.split()[-1]) for line in out.splitlines() if "Non-2xx" in line), 0)
    return rps, non2xx


def measure_control_plane_read(stack: dict[str, str], book_id: str, count: int = 300) -> list[float]:
    """The function's own DynamoDB GetItem against the control plane, timed alone from here."""
    dynamodb = client(stack, "dynamodb")
    key = {"id": {"S": book_id}}
    for _ in range(20):
        dynamodb.get_item(TableName=stack["READ_MODEL_TABLE"], Key=key)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        dynamodb.get_item(TableName=stack["READ_MODEL_TABLE"], Key=key)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure_startup(stack: dict[str, str]) -> float:
    port, lambda_port = ports.free_ports("127.0.0.1", 2)
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO_ROOT}:{REPO_ROOT / 'services'}",
        "EMULATOR_CONTROL_PLANE_URL": stack["AWS_ENDPOINT_URL"],
        "EMULATOR_PORT": str(port),
        "EMULATOR_LAMBDA_PORT": str(lambda_port),
        "EMULATOR_CODE_MAP": f"*={REPO_ROOT / 'services'}",
    }
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve"],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while time.monotonic() - started < 30:
            try:
                if requests.get(f"http://127.0.0.1:{lambda_port}/_emulator/health", timeout=0.5).ok:
                    return time.monotonic() - started
            except requests.RequestException:
                pass
            time.sleep(0.01)
        sys.exit("the emulator did not become ready within 30 s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--client", choices=["auto", "wrk", "threads"], default="auto")
    args = parser.parse_args()

    stack = load_stack()
    bearer = token(stack)
    book_id = create_book(stack, bearer)
    wait_until(
        lambda: requests.get(f"{stack['API_URL']}/v1/catalog/books/{book_id}", timeout=5).ok, 30, "projection"
    )
    api_id, statement_id = create_bench_api(stack)
    try:
        target = Target(stack["API_URL"], api_id, book_id, bearer)
        wait_until(lambda: target.get(target.connect()) == 200, 30, "the emulator to serve the bench API")
        unauthenticated = target.connect()
        unauthenticated.request("GET", target.path, headers={"Host": target.headers["Host"]})
        assert unauthenticated.getresponse().status == 401, "the bench route must require a JWT"

        samples = measure_latency(target, args.requests)
        use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
        measure = measure_throughput_wrk if use_wrk else measure_throughput_threads
        rps, errors = measure(target, args.concurrency, args.seconds)
    finally:
        delete_bench_api(stack, api_id, statement_id)
    startup = measure_startup(stack)
    control_plane = statistics.median(measure_control_plane_read(stack, book_id))

    quantiles = statistics.quantiles(samples, n=100)
    result = {
        "get_jwt_p50_ms": round(statistics.median(samples), 2),
        "get_jwt_p90_ms": round(quantiles[89], 2),
        "get_jwt_p99_ms": round(quantiles[98], 2),
        "throughput_rps": round(rps, 1),
        "throughput_errors": errors,
        "concurrency": args.concurrency,
        "throughput_client": "wrk" if use_wrk else "python threads",
        "emulator_start_to_ready_s": round(startup, 2),
        # What the function's one read costs by itself; the rest of p50 is gateway, JWT, runtime and handler.
        "control_plane_getitem_p50_ms": round(control_plane, 2),
        "pipeline_overhead_p50_ms": round(statistics.median(samples) - control_plane, 2),
        "targets": {"p50_ms": 5, "rps": 300, "start_s": 2},
    }
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
