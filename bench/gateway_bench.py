"""Benchmark the request path: GET and POST latency (JWT included), throughput, projection lag, cold start.

Needs a running local stack (`make local-up`). It adds a second HTTP API to the control plane whose
`GET /v1/catalog/books/{id}` and `POST /v1/catalog/books` routes require a JWT and integrate the query and
command functions, selected by `Host: <api-id>.execute-api.localhost` (no stage throttling), then removes it.
Projection lag: after each 201, GET polls the new book every 10 ms until it answers 200 (the lag's
resolution). Cold start: a copy of the query function, created for the bench, invoked once cold, then warm.

    .venv/bin/python bench/gateway_bench.py [--requests 2000] [--concurrency 20] [--seconds 10] [--writes 50]
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

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "services")]

from books.domain.isbn import isbn13_check_digit  # noqa: E402

from bench.stack import (  # noqa: E402
    BenchApi,
    client,
    create_bench_api,
    delete_bench_api,
    load_stack,
    token,
    wait_until,
    wait_until_served,
)
from devstack import ports  # noqa: E402

BENCH_ROUTES = {"GET /v1/catalog/books/{id}": "QUERY_FUNCTION", "POST /v1/catalog/books": "COMMAND_FUNCTION"}
LAG_POLL_S = 0.01
CLIENTS = (1, 5)  # measured before --concurrency


def new_book_body() -> bytes:
    digits = "978" + f"{uuid.uuid4().int % 10**9:09d}"
    body = {"title": "Bench", "authors": ["Bench Author"], "isbn": digits + isbn13_check_digit(digits)}
    return json.dumps(body).encode()


def create_book(stack: dict[str, str], bearer: str) -> str:
    response = requests.post(
        f"{stack['API_URL']}/v1/catalog/books",
        data=new_book_body(),
        timeout=15,
        headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
    )
    response.raise_for_status()
    return str(response.json()["id"])


class Target:
    """Host, port and headers of the benchmarked GET."""

    def __init__(self, stack: dict[str, str], api: BenchApi, book_id: str, bearer: str) -> None:
        self.host, port = stack["API_URL"].split("//")[1].split(":")
        self.port = int(port)
        self.path = f"/v1/catalog/books/{book_id}"
        self.headers = {
            "Host": api.host(stack),
            "Authorization": f"Bearer {bearer}",
        }

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def get(self, conn: http.client.HTTPConnection, path: str | None = None) -> int:
        conn.request("GET", path or self.path, headers=self.headers)
        response = conn.getresponse()
        response.read()
        return response.status

    def post(self, conn: http.client.HTTPConnection) -> tuple[int, dict[str, object]]:
        headers = {**self.headers, "Content-Type": "application/json"}
        conn.request("POST", "/v1/catalog/books", body=new_book_body(), headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")


def measure_post_and_lag(target: Target, count: int) -> tuple[list[float], list[float]]:
    """POST latency, and for each 201 the time until the new book's GET first answers 200 (ms)."""
    writes, reads = target.connect(), target.connect()
    posts, lags = [], []
    for _ in range(count):
        started = time.perf_counter()
        status, body = target.post(writes)
        created = time.perf_counter()
        if status != 201:
            sys.exit(f"unexpected status {status} for a POST: {body}")
        posts.append((created - started) * 1000)
        path = f"/v1/catalog/books/{body['id']}"
        while True:
            time.sleep(LAG_POLL_S)  # a record cannot be projected the instant its write answers
            if target.get(reads, path) == 200:
                break
            if time.perf_counter() - created > 30:
                sys.exit(f"book {body['id']} was not projected within 30 s")
        lags.append((time.perf_counter() - created) * 1000)
    return posts, lags


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
    args = ["wrk", f"-t{min(2, concurrency)}", f"-c{concurrency}", f"-d{int(seconds)}s", "--latency"]
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


def measure_cold_start(stack: dict[str, str], book_id: str) -> tuple[float, float]:
    """First and second Invoke (ms) of a new function with the query function's image, role and settings."""
    control, lam = client(stack, "lambda"), client(stack, "lambda", stack["EMULATOR_LAMBDA_URL"])
    source = control.get_function(FunctionName=stack["QUERY_FUNCTION"])
    config = source["Configuration"]
    name = f"bench-cold-{uuid.uuid4().hex[:6]}"
    control.create_function(
        FunctionName=name,
        PackageType="Image",
        Code={"ImageUri": source["Code"]["ImageUri"]},
        Role=config["Role"],
        Timeout=config["Timeout"],
        MemorySize=config["MemorySize"],
        Environment={"Variables": config.get("Environment", {}).get("Variables", {})},
        ImageConfig=config.get("ImageConfigResponse", {}).get("ImageConfig", {}),
    )
    event = json.dumps(
        {
            "version": "2.0",
            "routeKey": "GET /v1/catalog/books/{id}",
            "rawPath": f"/v1/catalog/books/{book_id}",
            "pathParameters": {"id": book_id},
            "headers": {},
            "requestContext": {"http": {"method": "GET"}, "requestId": uuid.uuid4().hex},
        }
    )
    try:
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            answer = lam.invoke(FunctionName=name, Payload=event)
            timings.append((time.perf_counter() - started) * 1000)
            payload = json.loads(answer["Payload"].read())
            if answer.get("FunctionError") or payload.get("statusCode") != 200:
                sys.exit(f"the cold-start function answered {payload}")
        return timings[0], timings[1]
    finally:
        control.delete_function(FunctionName=name)


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


def write_table(result: dict[str, Any]) -> None:
    """The figures a user feels, one row each, with the issue's target beside them."""
    targets = result["targets"]
    rows = [
        (
            "GET p50 / p95 / p99 (JWT route)",
            "{get_jwt_p50_ms} / {get_jwt_p95_ms} / {get_jwt_p99_ms} ms",
            f"p50 <= {targets['p50_ms']} ms",
        ),
        ("  of which control-plane GetItem p50", "{control_plane_getitem_p50_ms} ms", ""),
        ("  of which pipeline overhead p50", "{pipeline_overhead_p50_ms} ms", ""),
        *(
            (
                f"requests/s at {', '.join(by_clients)} clients ({client})",
                ", ".join(str(v) for v in by_clients.values()),
                f">= {targets['rps']} at {result['concurrency']}",
            )
            for client, by_clients in result["throughput_rps_by_client"].items()
        ),
        ("POST p50 (JWT route)", "{post_jwt_p50_ms} ms", ""),
        (
            "projection lag p50 / max ({projection_lag_samples} writes)",
            "{projection_lag_p50_ms} / {projection_lag_max_ms} ms",
            f"p50 <= {targets['projection_lag_p50_ms']} ms",
        ),
        ("cold start: first / warm invoke", "{cold_start_first_invoke_ms} / {warm_invoke_ms} ms", ""),
        ("emulator start to ready", "{emulator_start_to_ready_s} s", f"<= {targets['start_s']} s"),
    ]
    for label, value, target in rows:
        sys.stdout.write(f"{label.format(**result):<50} {value.format(**result):<28} {target}\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--writes", type=int, default=50, help="POSTs timed, each with its projection lag")
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "threads"],
        default="auto",
        help="load generator for req/s; auto: python threads, and wrk beside it when installed",
    )
    args = parser.parse_args()

    stack = load_stack()
    bearer = token(stack)
    book_id = create_book(stack, bearer)
    wait_until(
        lambda: requests.get(f"{stack['API_URL']}/v1/catalog/books/{book_id}", timeout=5).ok, 30, "projection"
    )
    api = create_bench_api(stack, BENCH_ROUTES)
    try:
        wait_until_served(stack, api)
        target = Target(stack, api, book_id, bearer)
        wait_until(lambda: target.get(target.connect()) == 200, 30, "the bench API to answer 200")
        unauthenticated = target.connect()
        unauthenticated.request("GET", target.path, headers={"Host": target.headers["Host"]})
        assert unauthenticated.getresponse().status == 401, "the bench route must require a JWT"

        samples = measure_latency(target, args.requests)
        posts, lags = measure_post_and_lag(target, args.writes)
        measures = {"python threads": measure_throughput_threads, "wrk": measure_throughput_wrk}
        if args.client == "threads" or (args.client == "auto" and not shutil.which("wrk")):
            del measures["wrk"]
        elif args.client == "wrk":
            del measures["python threads"]
        throughput = {
            client: {n: measure(target, n, args.seconds) for n in (*CLIENTS, args.concurrency)}
            for client, measure in measures.items()
        }
    finally:
        delete_bench_api(stack, api)
    cold_ms, warm_ms = measure_cold_start(stack, book_id)
    startup = measure_startup(stack)
    control_plane = statistics.median(measure_control_plane_read(stack, book_id))

    quantiles = statistics.quantiles(samples, n=100)
    # The headline figure: the compiled client's when there is one (it leaves the stack more of the CPU).
    headline = "wrk" if "wrk" in throughput else "python threads"
    rps, errors = throughput[headline][args.concurrency]
    result = {
        "get_jwt_p50_ms": round(statistics.median(samples), 2),
        "get_jwt_p95_ms": round(quantiles[94], 2),
        "get_jwt_p99_ms": round(quantiles[98], 2),
        "throughput_rps": round(rps, 1),
        "throughput_errors": errors,
        "concurrency": args.concurrency,
        "throughput_rps_by_client": {
            client: {str(n): round(r, 1) for n, (r, _) in by_n.items()} for client, by_n in throughput.items()
        },
        "throughput_errors_by_client": {
            client: {str(n): e for n, (_, e) in by_n.items()} for client, by_n in throughput.items()
        },
        "throughput_client": headline,
        "post_jwt_p50_ms": round(statistics.median(posts), 2),
        "projection_lag_p50_ms": round(statistics.median(lags), 1),
        "projection_lag_max_ms": round(max(lags), 1),
        "projection_lag_samples": len(lags),
        "cold_start_first_invoke_ms": round(cold_ms, 1),
        "warm_invoke_ms": round(warm_ms, 1),
        "emulator_start_to_ready_s": round(startup, 2),
        # What the function's one read costs by itself; the rest of p50 is gateway, JWT, runtime and handler.
        "control_plane_getitem_p50_ms": round(control_plane, 2),
        "pipeline_overhead_p50_ms": round(statistics.median(samples) - control_plane, 2),
        "targets": {"p50_ms": 5, "rps": 300, "projection_lag_p50_ms": 150, "start_s": 1},
    }
    write_table(result)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
