"""The soak's figures: percentiles, per-window accumulators, the printed table, and the verdict."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear between the closest ranks (numpy's default); None if empty."""
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Window:
    """Everything measured for one window of writes (slots index*size .. index*size + expected - 1)."""

    index: int
    expected: int
    write_ms: list[float] = field(default_factory=list)
    get_ms: list[float] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)
    writes_done: int = 0
    server_errors: int = 0  # 5xx answers, any request
    request_errors: int = 0  # timeouts and refused connections, any request
    unexpected: int = 0  # other answers a well-behaved stack never gives the bench (409, 412, 429, ...)
    lag_timeouts: int = 0
    late_starts: int = 0
    pending: int = 0  # reads and projection probes still running
    rss_mb: dict[str, float | None] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.writes_done == self.expected and self.pending == 0

    def p(self, series: str, q: float) -> float | None:
        return percentile(getattr(self, f"{series}_ms"), q)

    @property
    def lag_max(self) -> float | None:
        return max(self.lag_ms, default=None)


class Recorder:
    """Thread-safe sink of the workers' measurements, cut into windows of `size` writes."""

    def __init__(self, writes: int, size: int) -> None:
        if writes <= 0 or size <= 0:
            raise ValueError("writes and the window size must be positive")
        self.size = size
        self._lock = threading.Lock()
        self.windows = [Window(i, min(size, writes - i * size)) for i in range(math.ceil(writes / size))]
        self._printed = 0

    def window_of(self, slot: int) -> int:
        return slot // self.size

    def begin(self, window: int) -> None:
        with self._lock:
            self.windows[window].pending += 1

    def end(self, window: int) -> None:
        with self._lock:
            self.windows[window].pending -= 1

    def answer(self, window: int, status: int | None, expected: bool) -> None:
        """Count one HTTP exchange: status None is a timeout or a connection error."""
        with self._lock:
            w = self.windows[window]
            if status is None:
                w.request_errors += 1
            elif status >= 500:
                w.server_errors += 1
            elif not expected:
                w.unexpected += 1

    def write(self, slot: int, ms: float | None, late: bool) -> None:
        """One write done; ms None when it failed (then it is counted by `answer`, not timed)."""
        with self._lock:
            w = self.windows[self.window_of(slot)]
            if ms is not None:
                w.write_ms.append(ms)
            w.writes_done += 1
            w.late_starts += late

    def get(self, window: int, ms: float, late: bool) -> None:
        with self._lock:
            self.windows[window].get_ms.append(ms)
            self.windows[window].late_starts += late

    def lag(self, window: int, ms: float, timed_out: bool) -> None:
        with self._lock:
            self.windows[window].lag_ms.append(ms)
            self.windows[window].lag_timeouts += timed_out

    def take_complete(self) -> list[Window]:
        """Complete windows not handed out yet, in order (a window waits for the ones before it)."""
        with self._lock:
            start = self._printed
            while self._printed < len(self.windows) and self.windows[self._printed].complete:
                self._printed += 1
            return self.windows[start : self._printed]

    def take_rest(self) -> list[Window]:
        """Every window not handed out yet, complete or not (the run ended or was stopped)."""
        with self._lock:
            rest, self._printed = self.windows[self._printed :], len(self.windows)
            return [w for w in rest if w.writes_done or w.get_ms or w.lag_ms]


class Table:
    """Fixed-width rows: one per window, with one RSS column per process."""

    def __init__(self, processes: Sequence[str]) -> None:
        self.processes = list(processes)
        self.columns = [
            "writes", "w_p50", "w_p95", "get_p50", "get_p95", "lag_p50", "lag_max",
            *(f"{name}_MB" for name in self.processes),
            "5xx", "req_err", "lag_to", "late", "other",
        ]  # fmt: skip

    def header(self) -> str:
        return " ".join(f"{c:>{self._width(c)}}" for c in self.columns)

    def row(self, w: Window, size: int) -> str:
        cells = [
            f"{w.index * size + w.writes_done}" + ("" if w.complete else "*"),
            *(_ms(w.p(series, q)) for series, q in (("write", 50), ("write", 95), ("get", 50), ("get", 95))),
            _ms(w.p("lag", 50)),
            _ms(w.lag_max),
            *(_ms(w.rss_mb.get(name)) for name in self.processes),
            *(
                str(n)
                for n in (w.server_errors, w.request_errors, w.lag_timeouts, w.late_starts, w.unexpected)
            ),
        ]
        return " ".join(f"{cell:>{self._width(c)}}" for c, cell in zip(self.columns, cells, strict=True))

    @staticmethod
    def _width(column: str) -> int:
        return max(len(column), 7)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


@dataclass(frozen=True)
class Targets:
    """Issue 11's soak targets."""

    write_p50_growth: float = 1.5  # last window's write p50 at most this times the first's
    control_plane_rss_mb: float = 1024.0  # moto plus any separate store process, at the end
    lag_p50_ms: float = 200.0  # in every window
    lag_max_ms: float = 2000.0  # in every window


@dataclass(frozen=True)
class Check:
    """One line of the verdict; ok is None when it could not be judged (said in detail)."""

    name: str
    ok: bool | None
    detail: str


def verdict(
    windows: Sequence[Window],
    planned: int,
    control_plane_rss_mb: Mapping[str, float | None] | None,
    targets: Targets = Targets(),
) -> list[Check]:
    done = sum(w.writes_done for w in windows)
    checks = [Check("all writes ran", done == planned, f"{done} of {planned}")]

    ran = [w for w in windows if w.writes_done]
    first_p50, last_p50 = (ran[0].p("write", 50), ran[-1].p("write", 50)) if ran else (None, None)
    growth = f"write p50 last <= {targets.write_p50_growth}x first"
    if len(ran) < 2:
        checks.append(Check("write p50 steady", None, "needs two windows; use more writes or --window"))
    elif first_p50 is None or last_p50 is None:
        which = "first" if first_p50 is None else "last"
        checks.append(Check(growth, False, f"no write of the {which} window succeeded"))
    else:
        ratio = last_p50 / first_p50 if first_p50 else math.inf
        detail = f"{first_p50:.1f} ms -> {last_p50:.1f} ms ({ratio:.2f}x)"
        checks.append(Check(growth, last_p50 <= targets.write_p50_growth * first_p50, detail))

    if not control_plane_rss_mb or any(v is None for v in control_plane_rss_mb.values()):
        checks.append(Check("control-plane RSS", None, "not measured (no PID files: MODE=docker?)"))
    else:
        total = sum(v for v in control_plane_rss_mb.values() if v is not None)
        names = " + ".join(control_plane_rss_mb)
        checks.append(
            Check(
                f"control-plane RSS <= {targets.control_plane_rss_mb:.0f} MB",
                total <= targets.control_plane_rss_mb,
                f"{names}: {total:.0f} MB at the end",
            )
        )

    lagged = [w for w in windows if w.lag_ms]
    worst_p50 = max((w.p("lag", 50) or 0.0 for w in lagged), default=None)
    worst_max = max((w.lag_max or 0.0 for w in lagged), default=None)
    for name, worst, limit in (
        ("lag p50", worst_p50, targets.lag_p50_ms),
        ("lag max", worst_max, targets.lag_max_ms),
    ):
        if worst is None:
            checks.append(Check(f"{name} <= {limit:.0f} ms", None, "no POST was read back"))
        else:
            timeouts = sum(w.lag_timeouts for w in windows)
            detail = f"worst window {worst:.0f} ms" + (f", {timeouts} timed out" if timeouts else "")
            checks.append(Check(f"{name} <= {limit:.0f} ms", worst <= limit, detail))

    server = sum(w.server_errors for w in windows)
    failed = sum(w.request_errors for w in windows)
    checks.append(
        Check("no 5xx, no failed requests", server == 0 and failed == 0, f"{server} 5xx, {failed} failed")
    )
    return checks


def render(checks: Sequence[Check]) -> str:
    marks = {True: "PASS", False: "FAIL", None: "n/a "}
    return "\n".join(f"  {marks[c.ok]}  {c.name}: {c.detail}" for c in checks)
