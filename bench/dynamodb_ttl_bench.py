"""Benchmark the control plane's TTL in process: index build, sweeps of 0, some and all items due, PutItem.

The table is the event store's shape (pk S / sk N, stream NEW_IMAGE) filled through moto's patched backend,
so every write takes the same path as a PutItem request, minus HTTP. Each figure is the median of --repeat
runs on a freshly filled table.

    .venv/bin/python -m bench.dynamodb_ttl_bench [--items 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable
from typing import Any

from controlplane import dynamodb_ttl, moto_patches

TABLE = "bench-ttl"
NOW = 1_764_300_000


def fresh_table(backend: Any, items: int, expired: int, ttl: bool = True) -> Any:
    if TABLE in backend.tables:
        backend.delete_table(TABLE)
    backend.create_table(
        TABLE,
        schema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        throughput=None,
        attr=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        global_indexes=None,
        indexes=None,
        streams={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    if ttl:
        backend.update_time_to_live(TABLE, {"Enabled": True, "AttributeName": "expires_at"})
    for n in range(items):
        expires_at = NOW - 60 - n if n < expired else NOW + 86_400 + n
        backend.put_item(
            TABLE,
            {
                "pk": {"S": f"idem#{n:06d}"},
                "sk": {"N": "0"},
                "fingerprint": {"S": "f" * 64},
                "expires_at": {"N": str(expires_at)},
            },
        )
    return backend.get_table(TABLE)


def write_item(n: int) -> dict[str, Any]:
    return {"pk": {"S": f"idem#w{n:06d}"}, "sk": {"N": "0"}, "expires_at": {"N": str(NOW + 86_400)}}


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    moto_patches.apply()
    from moto import mock_aws
    from moto.dynamodb.models import dynamodb_backends

    lock = moto_patches._write_lock
    spec = {"Enabled": True, "AttributeName": "expires_at"}
    with mock_aws():
        backend = dynamodb_backends["123456789012"]["us-east-1"]
        print(f"table of {args.items} items, median of {args.repeat} runs (ms)")

        builds = []
        for _ in range(args.repeat):
            table = fresh_table(backend, args.items, expired=0, ttl=False)
            builds.append(timed(lambda: backend.update_time_to_live(TABLE, spec))[0])
        print(f"  UpdateTimeToLive on a filled table (index build): {statistics.median(builds):8.2f}")

        for expired in (0, 1, 50, args.items):
            runs: list[float] = []
            report: dynamodb_ttl.SweepReport | None = None
            for _ in range(args.repeat):
                table = fresh_table(backend, args.items, expired)
                elapsed, report = timed(functools.partial(dynamodb_ttl.sweep_table, table, NOW, lock))
                runs.append(elapsed)
            assert report is not None and report.deleted == expired
            per_item = statistics.median(runs) / expired * 1000 if expired else 0.0
            print(
                f"  sweep, {expired:>5} due: {statistics.median(runs):8.2f}"
                + (f"   ({per_item:.1f} us per deletion, REMOVE record included)" if expired else "")
            )

        idle = []
        table = fresh_table(backend, args.items, expired=0)
        for _ in range(args.repeat * 20):
            idle.append(timed(lambda: dynamodb_ttl.sweep(lock, NOW))[0])
        print(f"  sweep of every table, nothing due: {statistics.median(idle):8.3f}")

        for ttl in (False, True):
            table = fresh_table(backend, args.items, expired=0, ttl=ttl)
            writes = [
                timed(functools.partial(backend.put_item, TABLE, write_item(n)))[0] for n in range(1000)
            ]
            state = "on " if ttl else "off"
            print(f"  PutItem into the filled table, TTL {state}: p50 {statistics.median(writes):8.3f}")


if __name__ == "__main__":
    main()
