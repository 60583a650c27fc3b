"""Benchmark a local DynamoDB: event-store transactions, p50/p95 and server RSS per 1,000, stream polled.

Each transaction is what services/books/adapters/event_store.py writes for a new book: three conditional
Puts (the event with a 500-byte attribute, the ISBN claim, the idempotency record). A second thread
reads the table's stream the way the emulator's poller does (GetShardIterator once, then GetRecords on
each NextShardIterator), so stream and iterator growth show up in the RSS column too.

    .venv/bin/python bench/dynamodb_store_bench.py [--server controlplane|ministack] [--transactions 10000]
        [--seconds 300] [--port 5010] [--ministack /tmp/ministack-venv/bin/ministack] [--no-poll]

ministack (pip install ministack==1.5.33 into a throwaway venv) is for comparison only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parents[1]
TABLE = "bench-event-store"


def server_command(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if args.server == "ministack":
        env["GATEWAY_PORT"] = str(args.port)
        return [args.ministack], env
    env["PYTHONPATH"] = str(REPO_ROOT)
    return [sys.executable, "-m", "controlplane", "--host", "127.0.0.1", "--port", str(args.port)], env


def rss_mb(pid: int) -> float:
    """Resident set of the server and its children, from /proc."""
    total_kb = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total_kb += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total_kb / 1024


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, max_pool_connections=4),
    )


def wait_ready(endpoint: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    ddb = client("dynamodb", endpoint)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited with {process.returncode}")
        try:
            ddb.list_tables()
            return
        except Exception:
            time.sleep(0.2)
    sys.exit(f"server not ready at {endpoint} after {timeout:.0f} s")


def create_table(ddb: Any) -> str:
    table = ddb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    return str(table["LatestStreamArn"])


def transaction(i: int, now: int) -> list[dict[str, Any]]:
    book = uuid.uuid4().hex
    new = "attribute_not_exists(pk)"
    return [
        {
            "Put": {
                "TableName": TABLE,
                "Item": {
                    "pk": {"S": f"book#{book}"},
                    "sk": {"N": "1"},
                    "type": {"S": "BookCatalogued"},
                    "data": {"S": "x" * 500},
                },
                "ConditionExpression": new,
            }
        },
        {
            "Put": {
                "TableName": TABLE,
                "Item": {"pk": {"S": f"isbn#{i:013d}"}, "sk": {"N": "0"}, "book_id": {"S": book}},
                "ConditionExpression": new,
            }
        },
        {
            "Put": {
                "TableName": TABLE,
                "Item": {
                    "pk": {"S": f"idem#{uuid.uuid4().hex}"},
                    "sk": {"N": "0"},
                    "fingerprint": {"S": "f" * 64},
                    "expires_at": {"N": str(now + 86400)},
                },
                "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now",
                "ExpressionAttributeValues": {":now": {"N": str(now)}},
            }
        },
    ]


class StreamReader(threading.Thread):
    """Reads the stream like the emulator's poller; counts records and errors."""

    def __init__(self, endpoint: str, stream_arn: str) -> None:
        super().__init__(daemon=True)
        self.streams = client("dynamodbstreams", endpoint)
        self.stream_arn = stream_arn
        self.records = 0
        self.errors = 0
        self.stop = threading.Event()

    def run(self) -> None:
        shard = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"][0]
        iterator = self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while not self.stop.is_set():
            try:
                page = self.streams.get_records(ShardIterator=iterator, Limit=100)
            except Exception:
                self.errors += 1
                time.sleep(0.5)
                continue
            self.records += len(page["Records"])
            iterator = page["NextShardIterator"]
            if not page["Records"]:
                time.sleep(0.1)


def run(args: argparse.Namespace) -> None:
    endpoint = f"http://127.0.0.1:{args.port}"
    command, env = server_command(args)
    log = open(Path(args.log_dir) / f"{args.server}-{args.port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(endpoint, process)
        ddb = client("dynamodb", endpoint)
        stream_arn = create_table(ddb)
        reader = StreamReader(endpoint, stream_arn)
        if args.poll:
            reader.start()
        print(f"{args.server}: {args.transactions} tx, start RSS {rss_mb(process.pid):.0f} MB", flush=True)
        print(f"{'tx':>7} {'p50 ms':>8} {'p95 ms':>8} {'RSS MB':>8} {'records':>8}", flush=True)
        window: list[float] = []
        all_ms: list[float] = []
        started = time.monotonic()
        done = 0
        for i in range(args.transactions):
            items = transaction(i, int(time.time()))
            t0 = time.perf_counter()
            ddb.transact_write_items(TransactItems=items)
            window.append((time.perf_counter() - t0) * 1000)
            done = i + 1
            if done % 1000 == 0:
                all_ms += window
                q = statistics.quantiles(window, n=20)
                print(
                    f"{done:>7} {statistics.median(window):>8.1f} {q[18]:>8.1f} "
                    f"{rss_mb(process.pid):>8.0f} {reader.records:>8}",
                    flush=True,
                )
                window = []
                if time.monotonic() - started > args.seconds:
                    print(f"stopped after {done} tx: the {args.seconds:.0f} s budget is spent", flush=True)
                    break
        all_ms += window
        reader.stop.set()
        elapsed = time.monotonic() - started
        q = statistics.quantiles(all_ms, n=20)
        print(
            f"total {done} tx in {elapsed:.0f} s: p50 {statistics.median(all_ms):.1f} ms, "
            f"p95 {q[18]:.1f} ms, RSS {rss_mb(process.pid):.0f} MB, stream errors {reader.errors}",
            flush=True,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=("controlplane", "ministack"), default="controlplane")
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=300.0, help="stop at the next 1,000 after this")
    parser.add_argument("--port", type=int, default=5010)
    parser.add_argument("--ministack", default="/tmp/ministack-venv/bin/ministack")
    parser.add_argument("--log-dir", default="/tmp")
    parser.add_argument("--no-poll", dest="poll", action="store_false", help="do not read the stream")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
