"""Soak: N writes (POST, PATCH, DELETE) at a steady rate with reads alongside; latency, projection lag, RSS.

Needs a running local stack (`make local-up`; the same LOCAL_STATE_DIR, or STACK_ENV, names it). It adds a side
HTTP API to the control plane with the stack's write routes and GET by id (same functions and tables, a JWT on
every route, no stage throttling: the stack's own stage allows 50 rps per route, fewer than the reads and
projection polls need), and removes it again.

Writes fire on an open-loop schedule (slot i at start + i/rate) into a bounded pool of threads, each with its
own requests.Session; a request that starts more than 50 ms after its slot is a late start. Every PATCH and
DELETE is on a book the bench created, with If-Match from its last ETag. Each write slot also reads one
created book. After each 201 the book is polled until a GET answers 200: the projection lag (bounded by
--lag-timeout, which then counts as the lag, and as lag_to). The wait between polls is 25 ms, or a fifth of
the time since the 201 once that is longer, so a lag is read at most 25 ms or 20% late (never early), and a slow
projection does not multiply the load that slows it (each poll is a GET through the whole stack; the run
ends by printing how many polls a probe took). Probes have their own pool of threads: a probe that
waited for a thread would count that wait as lag. One row per --window writes (RSS of
each process in the stack's PID files), then a verdict against issue 11's targets; exit 1 if one is missed.

    .venv/bin/python bench/soak_bench.py [--writes 10000] [--rate 40] [--window 1000]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "services")]

from bench import proc_rss  # noqa: E402
from bench.soak_plan import Kind, OpenLoop, Write, WriteMix, isbn_for  # noqa: E402
from bench.soak_stats import Recorder, Table, Targets, render, verdict  # noqa: E402
from bench.stack import (  # noqa: E402
    BenchApi,
    create_bench_api,
    delete_bench_api,
    load_stack,
    pid_dir,
    token,
    wait_until_served,
)

BOOKS = "/v1/catalog/books"
SOAK_ROUTES = {
    f"POST {BOOKS}": "COMMAND_FUNCTION",
    f"GET {BOOKS}/{{id}}": "QUERY_FUNCTION",
    f"PATCH {BOOKS}/{{id}}": "COMMAND_FUNCTION",
    f"DELETE {BOOKS}/{{id}}": "COMMAND_FUNCTION",
}
WRITE_STATUS = {Kind.POST: 201, Kind.PATCH: 200, Kind.DELETE: 204}
READ_STATUSES = frozenset({200, 404})  # 404: the projection has not caught up yet, or the book was deleted
POLL_S = 0.025  # the lag's resolution; the targets are 200 ms (p50) and 2 s (max)
POLL_BACKOFF = 0.2  # the wait between polls is at least this share of the time since the 201
PROBE_THREADS = 256  # concurrent probes: 20 POSTs/s x the 10 s lag timeout would need 200
REPORT_FIRST = 5  # unexpected answers echoed to stderr, to say what went wrong


class Soak:
    """One run: the scheduler (the calling thread), a write pool and a read pool."""

    def __init__(self, stack: dict[str, str], api: BenchApi, bearer: str, args: argparse.Namespace) -> None:
        self.args = args
        self.base = stack["API_URL"]
        self.headers = {"Host": api.host(stack), "Authorization": f"Bearer {bearer}"}
        self.mix = WriteMix(seed=args.seed)
        self.recorder = Recorder(args.writes, args.window)
        self.run_id = random.Random().randrange(1000)
        self.posts = iter(range(1_000_000))
        self.reported = itertools.count()
        self.polls = itertools.count()  # GETs made by probes; next() is atomic under the GIL
        self.probed = itertools.count()
        self.local = threading.local()
        self.stopping = threading.Event()
        self.writers = ThreadPoolExecutor(args.workers, thread_name_prefix="soak-write")
        self.readers = ThreadPoolExecutor(args.workers, thread_name_prefix="soak-read")
        self.probers = ThreadPoolExecutor(PROBE_THREADS, thread_name_prefix="soak-probe")
        self.pids = proc_rss.read_pids(pid_dir(stack))
        self.table = Table(list(self.pids))
        self.stop_reason = ""

    # ---- requests ---------------------------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
            session.headers.update(self.headers)
        return session

    def _send(
        self, method: str, path: str, window: int | None, expected: frozenset[int], **kwargs: Any
    ) -> tuple[requests.Response | None, float]:
        """One request, counted in `window` (None: the warm-up, not counted)."""
        started = time.perf_counter()
        try:
            response: requests.Response | None = self._session().request(
                method, self.base + path, timeout=self.args.request_timeout, **kwargs
            )
        except requests.RequestException:
            response = None
        elapsed_ms = (time.perf_counter() - started) * 1000
        status = None if response is None else response.status_code
        if window is not None:
            self.recorder.answer(window, status, status in expected)
        if response is not None and status not in expected and next(self.reported) < REPORT_FIRST:
            sys.stderr.write(f"soak: {method} {path} -> {status} {response.text[:200]!r}\n")
        return response, elapsed_ms

    # ---- workers ----------------------------------------------------------------------------------------------
    def write(self, write: Write, due: float) -> None:
        late = OpenLoop.is_late(due, time.monotonic())
        window = self.recorder.window_of(write.slot)
        expected = frozenset({WRITE_STATUS[write.kind]})
        succeeded_ms: float | None = None  # failures are counted, not timed: a 5xx's time says nothing
        try:
            method, path, kwargs = self._request_for(write)
            response, elapsed_ms = self._send(method, path, window, expected, **kwargs)
            if response is not None and response.status_code in expected:
                succeeded_ms = elapsed_ms
            if response is not None and response.status_code == 201:
                book = response.json()
                # Before this write counts as done, so that its window waits for the probe too.
                self.recorder.begin(window)
                self.probers.submit(
                    self.probe, window, str(book["id"]), response.headers["ETag"], time.monotonic()
                )
            elif response is not None and response.status_code == 200 and write.book_id:
                self.mix.ready(write.book_id, response.headers["ETag"])
        except Exception as exc:  # a broken answer must not hang the window
            sys.stderr.write(f"soak: {write.kind.value} slot {write.slot}: {exc!r}\n")
            self.recorder.answer(window, 0, False)
        finally:
            self.recorder.write(write.slot, succeeded_ms, late)

    def _request_for(self, write: Write) -> tuple[str, str, dict[str, Any]]:
        if write.kind is Kind.POST:
            body = {"title": f"Soak {write.slot}", "authors": ["Soak Author"], "isbn": self._isbn()}
            return "POST", BOOKS, {"json": body}
        if_match = {"If-Match": str(write.etag)}
        if write.kind is Kind.PATCH:
            patch: dict[str, object] = {
                "title": f"Soak {write.slot} patched",
                "page_count": write.slot % 1000 + 1,
            }
            headers = {**if_match, "Content-Type": "application/merge-patch+json"}
            return "PATCH", f"{BOOKS}/{write.book_id}", {"json": patch, "headers": headers}
        return "DELETE", f"{BOOKS}/{write.book_id}", {"headers": if_match}

    def probe(self, window: int, book_id: str, etag: str, created: float) -> None:
        """Poll GET until the projection shows the book: lag = first 200 minus the 201."""
        try:
            deadline = created + self.args.lag_timeout
            next(self.probed)
            # No poll at once: a record cannot be projected the instant its write answers.
            while not self.stopping.wait(self._poll_wait(created, deadline)):
                next(self.polls)
                response, _ = self._send("GET", f"{BOOKS}/{book_id}", window, READ_STATUSES)
                now = time.monotonic()
                if response is not None and response.status_code == 200:
                    self.recorder.lag(window, (now - created) * 1000, timed_out=False)
                    break
                if now >= deadline:
                    self.recorder.lag(window, self.args.lag_timeout * 1000, timed_out=True)
                    break
            self.mix.ready(book_id, etag)
        finally:
            self.recorder.end(window)

    @staticmethod
    def _poll_wait(created: float, deadline: float) -> float:
        now = time.monotonic()
        return max(0.0, min(max(POLL_S, POLL_BACKOFF * (now - created)), deadline - now))

    def read(self, window: int, due: float) -> None:
        try:
            book_id = self.mix.sample()
            if book_id is None or self.stopping.is_set():
                return
            late = OpenLoop.is_late(due, time.monotonic())
            response, elapsed_ms = self._send("GET", f"{BOOKS}/{book_id}", window, READ_STATUSES)
            if response is not None and response.status_code in READ_STATUSES:
                self.recorder.get(window, elapsed_ms, late)
        finally:
            self.recorder.end(window)

    def warm_up(self) -> None:
        """Concurrent POSTs, each read back, so that the functions' first environments start before the clock."""

        def one(slot: int) -> None:
            method, path, kwargs = self._request_for(Write(slot, Kind.POST))
            response, _ = self._send(method, path, None, frozenset({201}), **kwargs)
            if response is None or response.status_code != 201:
                return
            book_id, etag = str(response.json()["id"]), response.headers["ETag"]
            deadline = time.monotonic() + self.args.lag_timeout
            while time.monotonic() < deadline:
                read, _ = self._send("GET", f"{BOOKS}/{book_id}", None, READ_STATUSES)
                if read is not None and read.status_code == 200:
                    self.mix.ready(book_id, etag)
                    return
                time.sleep(POLL_S)

        started = time.monotonic()
        with ThreadPoolExecutor(self.args.warmup) as pool:
            list(pool.map(one, range(-self.args.warmup, 0)))
        print(
            f"# warm-up: {self.args.warmup} POSTs read back in {time.monotonic() - started:.1f} s", flush=True
        )

    def _isbn(self) -> str:
        return isbn_for(self.run_id, next(self.posts))

    # ---- scheduler --------------------------------------------------------------------------------------------
    def rss(self) -> dict[str, float | None]:
        return {name: proc_rss.rss_mb(pid) for name, pid in self.pids.items()}

    def housekeeping(self, deadline: float) -> None:
        """Print the windows that are complete; stop on the RSS guard or the deadline."""
        complete = self.recorder.take_complete()
        sample = self.rss()
        for window in complete:
            window.rss_mb = sample
            print(self.table.row(window, self.args.window), flush=True)
        over = {
            n: v
            for n, v in sample.items()
            if n in self._control_plane() and (v or 0) > self.args.abort_rss_mb
        }
        if over and not self.stopping.is_set():
            self.stop(", ".join(f"{n} RSS {v:.0f} MB > {self.args.abort_rss_mb} MB" for n, v in over.items()))
        if time.monotonic() > deadline and not self.stopping.is_set():
            self.stop(f"--max-minutes {self.args.max_minutes} reached")

    def stop(self, reason: str) -> None:
        self.stop_reason = reason
        self.stopping.set()
        print(f"# stopping: {reason}", flush=True)

    def _control_plane(self) -> list[str]:
        return proc_rss.control_plane(list(self.pids))

    def run(self) -> int:
        plan = OpenLoop(self.args.rate, time.monotonic() + 0.2)
        deadline = plan.start + self.args.max_minutes * 60
        print(self.table.header(), flush=True)
        try:
            for slot in range(self.args.writes):
                due = plan.due(slot)
                while (now := time.monotonic()) < due and not self.stopping.is_set():
                    self.housekeeping(deadline)
                    time.sleep(min(due - now, 0.1))
                if self.stopping.is_set():
                    break
                window = self.recorder.window_of(slot)
                self.writers.submit(self.write, self.mix.next(slot), due)
                self.recorder.begin(window)
                self.readers.submit(self.read, window, due)
            while not self.stopping.is_set() and not all(w.complete for w in self.recorder.windows):
                self.housekeeping(deadline)
                time.sleep(0.1)
        except KeyboardInterrupt:
            self.stop("interrupted")
        # After a stop, drop what has not started; what is in flight ends within --request-timeout.
        for pool in (self.writers, self.readers, self.probers):
            pool.shutdown(wait=False, cancel_futures=True)
        for pool in (self.writers, self.readers, self.probers):
            pool.shutdown(wait=True)
        self.housekeeping(float("inf"))
        end_sample = self.rss()
        for rest in self.recorder.take_rest():
            rest.rss_mb = end_sample
            print(self.table.row(rest, self.args.window), flush=True)
        probes, polls = next(self.probed), next(self.polls)
        print(
            f"# probes: {polls} GETs for {probes} created books ({polls / max(1, probes):.1f} each)",
            flush=True,
        )
        control_plane = {name: end_sample[name] for name in self._control_plane()}
        checks = verdict(self.recorder.windows, self.args.writes, control_plane, Targets())
        print(f"\nverdict ({self.stop_reason or 'ran to the end'}):\n{render(checks)}", flush=True)
        return 1 if any(check.ok is False for check in checks) else 0


def positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writes", type=positive(int), default=10_000, help="writes in all (default 10000)")
    parser.add_argument("--rate", type=positive(float), default=40.0, help="writes per second (default 40)")
    parser.add_argument(
        "--window", type=positive(int), default=1000, help="writes per table row (default 1000)"
    )
    parser.add_argument("--workers", type=positive(int), default=32, help="threads per pool (default 32)")
    parser.add_argument("--lag-timeout", type=positive(float), default=10.0, help="seconds (default 10)")
    parser.add_argument("--request-timeout", type=positive(float), default=30.0, help="seconds (default 30)")
    parser.add_argument(
        "--abort-rss-mb",
        type=positive(float),
        default=4096.0,
        help="stop when a control-plane process passes it",
    )
    parser.add_argument("--max-minutes", type=positive(float), default=20.0, help="stop after (default 20)")
    parser.add_argument(
        "--warmup",
        type=int,
        default=8,
        help="concurrent POSTs before the clock starts, not counted (default 8)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the write mix")
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    stack = load_stack()
    bearer = token(stack)
    api = create_bench_api(stack, SOAK_ROUTES, name="soak")
    try:
        wait_until_served(stack, api)
        soak = Soak(stack, api, bearer, args)
        where = (
            ", ".join(f"{n} (pid {p})" for n, p in soak.pids.items()) or "none: no PID files (MODE=docker?)"
        )
        print(
            f"# soak: {args.writes} writes at {args.rate:g}/s, a row per {args.window}, side API {api.api_id};"
            f" ms of successful requests; RSS of {where}; * = window cut short",
            flush=True,
        )
        if not soak.pids:
            print("# RSS not measured here: in docker mode watch `docker stats`", flush=True)
        if args.warmup:
            soak.warm_up()
        code = soak.run()
    finally:
        delete_bench_api(stack, api)
    sys.exit(code)


if __name__ == "__main__":
    main()
