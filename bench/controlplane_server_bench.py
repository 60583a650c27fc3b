"""Compare WSGI servers for the control plane: DynamoDB GetItem and TransactWriteItems over kept-alive connections.

Each candidate serves moto's app (with controlplane.moto_patches applied) in its own process on a free
port; the load is raw HTTP/1.1 on persistent connections (moto checks no signature), so the client costs
little CPU beside the server on a 2-core machine. Rounds interleave the candidates because the machine is
shared and noisy; the table shows the median over rounds of each figure.

    .venv/bin/python bench/controlplane_server_bench.py [--servers werkzeug,waitress,cheroot,granian,gunicorn,current]
        [--rounds 3] [--seconds 3]

werkzeug and cheroot come with the project; the other candidates are not dependencies (measured with
waitress 3.0.2, granian 2.8.7, gunicorn 27.0.1 installed by hand).

Figures of 2026-12-02 (2 cores shared with other sessions, load average 9-15, so latencies are noisy;
server CPU per request, read from /proc, is the steadier figure). Median of 3 interleaved rounds x 2 s,
moto 5.2.5 with controlplane.moto_patches (and its dispatch caches) applied in every candidate:

    server    op                 conc  p50 ms     rps  cpu ms/req
    werkzeug  GetItem               1   19.49    44.6        5.35
    waitress  GetItem               1    4.65    84.2        3.44
    cheroot   GetItem               1   20.60    42.3        4.34
    granian   GetItem               1   10.52    76.8        3.04
    gunicorn  GetItem               1    8.37    80.7        3.60
    werkzeug  GetItem              10  144.53    52.6        5.05
    waitress  GetItem              10   64.76   126.7        3.89
    cheroot   GetItem              10   39.22   169.5        3.85
    granian   GetItem              10   38.30   191.5        3.20
    gunicorn  GetItem              10  103.05    86.7        4.86
    werkzeug  TransactWriteItems    1   18.94    47.1        5.45
    waitress  TransactWriteItems    1   15.00    46.7        4.24
    cheroot   TransactWriteItems    1   14.76    48.6        4.95
    granian   TransactWriteItems    1    4.98    70.8        3.71
    gunicorn  TransactWriteItems    1   24.60    34.3        5.54
    werkzeug  TransactWriteItems   10  158.63    52.3        6.60
    waitress  TransactWriteItems   10   76.45   114.5        6.34
    cheroot   TransactWriteItems   10   76.25    96.4        5.33
    granian   TransactWriteItems   10   66.49   102.4        5.07
    gunicorn  TransactWriteItems   10  171.63    49.2        7.22

granian (WSGI mode, one forked worker, 16 threads) used the least CPU in every cell (GetItem 2.9-3.2 ms
per request in each round, cheroot 3.1-4.8, waitress 3.4-4.4, werkzeug ~5) and had the best GetItem
throughput at 10 clients. But it serves from a forked worker that outlives a `kill -9` of the process
local-up started (still holding the port and moto's state), so the control plane runs on cheroot, next in CPU
per request and one process (controlplane/server.py). `--servers current` runs `python -m controlplane`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "services")]

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=00"
)
TABLE = "bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _app() -> Any:
    from controlplane import moto_patches

    moto_patches.apply()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


def serve(name: str, port: int) -> None:
    """Run candidate `name` in this process (the child side of the benchmark)."""
    if name == "current":
        from controlplane.__main__ import main

        main(["--host", "127.0.0.1", "--port", str(port)])
    elif name == "werkzeug":
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import run_simple

        run_simple("127.0.0.1", port, _app(), threaded=True, request_handler=MotoRequestHandler)
    elif name == "waitress":
        import waitress

        waitress.serve(_app(), host="127.0.0.1", port=port, threads=16, _quiet=True)
    elif name == "cheroot":
        from cheroot import wsgi

        server = wsgi.Server(("127.0.0.1", port), _app(), numthreads=16)
        server.start()
    elif name == "gunicorn":
        from gunicorn.app.base import BaseApplication

        class App(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in {
                    "bind": f"127.0.0.1:{port}",
                    "workers": 1,
                    "threads": 16,
                    "worker_class": "gthread",
                    "keepalive": 75,
                    "loglevel": "warning",
                }.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return _app()

        App().run()
    elif name == "granian":
        from granian.constants import Interfaces
        from granian.server import Server

        Server(
            "bench.controlplane_server_bench:granian_app",
            address="127.0.0.1",
            port=port,
            interface=Interfaces.WSGI,
            workers=1,
            blocking_threads=16,
            log_enabled=False,
        ).serve()
    else:
        sys.exit(f"unknown server {name!r}")


def __getattr__(attr: str) -> Any:
    # granian imports its target by name in the worker; build the app there, once.
    if attr == "granian_app":
        app = _app()
        globals()["granian_app"] = app
        return app
    raise AttributeError(attr)


def call(conn: http.client.HTTPConnection, target: str, body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    conn.request(
        "POST",
        "/",
        body=data,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"DynamoDB_20120810.{target}",
            "Authorization": AUTH,
            "X-Amz-Date": "20260101T000000Z",
        },
    )
    response = conn.getresponse()
    payload = response.read()
    if response.status != 200:
        raise RuntimeError(f"{target}: {response.status} {payload[:200]!r}")
    return payload


def setup(port: int) -> None:
    # Generous: gunicorn and granian listen before their worker has imported moto.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    call(
        conn,
        "CreateTable",
        {
            "TableName": TABLE,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    call(conn, "PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "b1"}, "title": {"S": "x" * 200}}})
    conn.close()


def op_body(op: str, worker: int) -> tuple[str, dict[str, Any]]:
    if op == "GetItem":
        return "GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "b1"}}}
    key = f"w{worker}"  # the same key again and again: the table stays small
    return "TransactWriteItems", {
        "TransactItems": [
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": key}, "n": {"N": "1"}}}},
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": key + "-log"}, "n": {"N": "1"}}}},
        ]
    }


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants (granian and gunicorn serve from a child)."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (
            int(fields[1]),
            (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"),
        )
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0.0))[1]
        todo.extend(child for child, (parent, _) in stats.items() if parent == current)
    return total


def load(port: int, op: str, concurrency: int, seconds: float, pid: int = 0) -> dict[str, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        target, body = op_body(op, index)
        mine: list[float] = []
        while (start := time.perf_counter()) < deadline:
            call(conn, target, body)
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)

    cpu_before = tree_cpu_seconds(pid) if pid else 0.0
    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    cpu = tree_cpu_seconds(pid) - cpu_before if pid else 0.0
    latencies.sort()
    return {
        "p50": latencies[len(latencies) // 2] * 1000,
        "p95": latencies[int(len(latencies) * 0.95)] * 1000,
        "rps": len(latencies) / elapsed,
        "cpu": cpu / len(latencies) * 1000,
    }


def start(name: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{REPO_ROOT}:{REPO_ROOT / 'services'}"}
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", name, "--port", str(port)],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"{name} exited with {proc.returncode}")
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"{name} did not listen on {port} within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="werkzeug,waitress,cheroot,granian,gunicorn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--ops", default="GetItem,TransactWriteItems")
    parser.add_argument("--concurrency", default="1,10")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return

    servers = args.servers.split(",")
    ops = args.ops.split(",")
    levels = [int(c) for c in args.concurrency.split(",")]
    results: dict[tuple[str, str, int], list[dict[str, float]]] = {}
    for round_no in range(args.rounds):
        order = servers[round_no % len(servers) :] + servers[: round_no % len(servers)]
        for name in order:
            proc, port = start(name)
            try:
                setup(port)
                load(port, "GetItem", 1, 0.5)  # warm up: first requests build the Flask app
                for op in ops:
                    for conc in levels:
                        figures = load(port, op, conc, args.seconds, proc.pid)
                        results.setdefault((name, op, conc), []).append(figures)
                        print(
                            f"round {round_no + 1} {name:9} {op:18} conc={conc:<3} "
                            f"p50 {figures['p50']:6.2f} ms  rps {figures['rps']:7.1f}  cpu {figures['cpu']:5.2f} ms/req",
                            file=sys.stderr,
                        )
            finally:
                proc.terminate()
                proc.wait(timeout=10)

    print(
        f"\n{'server':9} {'op':18} {'conc':>4} {'p50 ms':>7} {'p95 ms':>7} {'rps':>7} {'cpu ms/req':>10}   (median of rounds)"
    )
    for op in ops:
        for conc in levels:
            for name in servers:
                runs = results[(name, op, conc)]
                p50 = statistics.median(r["p50"] for r in runs)
                p95 = statistics.median(r["p95"] for r in runs)
                rps = statistics.median(r["rps"] for r in runs)
                cpu = statistics.median(r["cpu"] for r in runs)
                print(f"{name:9} {op:18} {conc:>4} {p50:7.2f} {p95:7.2f} {rps:7.1f} {cpu:10.2f}")


if __name__ == "__main__":
    main()
