"""The soak benchmark's pure parts: percentiles, the write mix, the open-loop schedule, windows and the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
from books.domain.isbn import normalise

from bench import proc_rss, stack
from bench.soak_plan import LATE_AFTER_S, Kind, OpenLoop, WriteMix, isbn_for
from bench.soak_stats import Recorder, Table, Targets, Window, percentile, verdict
from devstack import stack_env


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([7.0], 50, 7.0),
        ([7.0], 95, 7.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.5),  # order does not matter
        ([float(n) for n in range(1, 101)], 95, 95.05),
        ([1.0, 2.0, 3.0], 0, 1.0),
        ([1.0, 2.0, 3.0], 100, 3.0),
    ],
)
def test_percentile_interpolates_between_closest_ranks(
    values: list[float], q: float, expected: float
) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_none() -> None:
    assert percentile([], 50) is None


@pytest.mark.parametrize("q", [-1, 101])
def test_percentile_outside_0_to_100_is_refused(q: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], q)


def test_open_loop_slots_are_due_on_schedule_whatever_came_before() -> None:
    plan = OpenLoop(rate=40, start=100.0)
    assert [plan.due(i) for i in (0, 1, 40, 400)] == pytest.approx([100.0, 100.025, 101.0, 110.0])


@pytest.mark.parametrize(
    ("delay", "late"), [(0.0, False), (LATE_AFTER_S, False), (LATE_AFTER_S + 0.001, True), (-1.0, False)]
)
def test_a_start_later_than_the_threshold_is_late(delay: float, late: bool) -> None:
    assert OpenLoop.is_late(due=0.0, started=delay) is late


def test_a_rate_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        OpenLoop(rate=0, start=0.0)


def drive(mix: WriteMix, slots: int) -> list[tuple[Kind, str | None, str | None]]:
    """Play the bench's part: each POST creates a book at version 1, each PATCH bumps it; all answer at once."""
    seen, versions = [], {}
    for slot in range(slots):
        write = mix.next(slot)
        seen.append((write.kind, write.book_id, write.etag))
        if write.kind is Kind.POST:
            versions[f"b{slot}"] = 1
            mix.ready(f"b{slot}", '"1"')
        elif write.kind is Kind.PATCH:
            assert write.book_id is not None
            versions[write.book_id] += 1
            mix.ready(write.book_id, f'"{versions[write.book_id]}"')
    return seen


def test_every_patch_and_delete_is_on_a_created_book_with_its_latest_etag() -> None:
    created, deleted, etags = set(), set(), {}
    for slot, (kind, book_id, etag) in enumerate(drive(WriteMix(seed=3), 2000)):
        if kind is Kind.POST:
            created.add(f"b{slot}")
            etags[f"b{slot}"] = 1
            continue
        assert book_id in created and book_id not in deleted
        assert etag == f'"{etags[book_id]}"'
        if kind is Kind.PATCH:
            etags[book_id] += 1
        else:
            deleted.add(book_id)


def test_the_mix_follows_its_weights() -> None:
    kinds = [kind for kind, _, _ in drive(WriteMix(seed=1), 4000)]
    shares = {kind: kinds.count(kind) / len(kinds) for kind in Kind}
    assert shares[Kind.POST] == pytest.approx(0.5, abs=0.05)
    assert shares[Kind.PATCH] == pytest.approx(0.35, abs=0.05)
    assert shares[Kind.DELETE] == pytest.approx(0.15, abs=0.05)


def test_with_no_idle_book_every_slot_is_a_post() -> None:
    mix = WriteMix(seed=0)
    assert {mix.next(slot).kind for slot in range(200)} == {Kind.POST}


def test_a_book_in_flight_is_handed_out_once_and_not_read() -> None:
    mix = WriteMix({Kind.POST: 0.01, Kind.DELETE: 0.99}, seed=0)
    mix.ready("only", '"1"')
    first = mix.next(0)
    assert first.kind is Kind.DELETE and first.book_id == "only"
    assert mix.next(1).kind is Kind.POST and mix.sample() is None and mix.idle == 0


def test_ready_twice_keeps_one_entry() -> None:
    mix = WriteMix(seed=0)
    mix.ready("b", '"1"')
    mix.ready("b", '"1"')
    assert mix.idle == 1 and mix.sample() == "b"


def test_a_mix_without_posts_is_refused() -> None:
    with pytest.raises(ValueError, match="needs POSTs"):
        WriteMix({Kind.PATCH: 1.0})


@pytest.mark.parametrize(("run", "n"), [(0, 0), (17, 4242), (999, 999_999)])
def test_bench_isbns_are_valid_and_distinct(run: int, n: int) -> None:
    isbn = isbn_for(run, n)
    assert normalise(isbn) == isbn and isbn != isbn_for(run, (n + 1) % 1_000_000)


def test_recorder_hands_out_a_window_once_its_writes_reads_and_probes_are_done() -> None:
    recorder = Recorder(writes=5, size=2)
    assert [w.expected for w in recorder.windows] == [2, 2, 1]
    recorder.begin(0)  # a read of window 0
    recorder.write(0, 10.0, late=False)
    recorder.write(1, 30.0, late=True)
    assert recorder.take_complete() == []
    recorder.end(0)
    recorder.write(2, 5.0, late=False)
    recorder.write(3, 5.0, late=False)
    assert [w.index for w in recorder.take_complete()] == [0, 1]
    assert recorder.windows[0].late_starts == 1 and recorder.windows[0].p("write", 50) == 20.0
    assert [w.index for w in recorder.take_rest()] == []  # window 2 saw nothing


@pytest.mark.parametrize(
    ("status", "expected", "field"),
    [
        (None, False, "request_errors"),
        (503, False, "server_errors"),
        (412, False, "unexpected"),
        (200, True, None),
    ],
)
def test_recorder_sorts_answers(status: int | None, expected: bool, field: str | None) -> None:
    recorder = Recorder(writes=1, size=1)
    recorder.answer(0, status, expected)
    window = recorder.windows[0]
    counts = {name: getattr(window, name) for name in ("request_errors", "server_errors", "unexpected")}
    assert counts == {name: int(name == field) for name in counts}


def window(index: int, write_ms: list[float], lag_ms: list[float], **counts: int) -> Window:
    w = Window(index, len(write_ms), write_ms=write_ms, lag_ms=lag_ms, writes_done=len(write_ms))
    for name, value in counts.items():
        setattr(w, name, value)
    return w


STEADY = [window(0, [20.0, 22.0], [50.0, 80.0]), window(1, [25.0, 27.0], [60.0, 90.0])]


def failed(checks: list) -> list[str]:
    return [c.name.split(" <=")[0] for c in checks if c.ok is False]


@pytest.mark.parametrize(
    ("windows", "planned", "rss", "failing"),
    [
        (STEADY, 4, {"moto": 300.0}, []),
        (STEADY, 5, {"moto": 300.0}, ["all writes ran"]),
        ([STEADY[0], window(1, [40.0, 40.0], [60.0])], 4, {"moto": 300.0}, ["write p50 last"]),
        (STEADY, 4, {"moto": 700.0, "dynamodb": 400.0}, ["control-plane RSS"]),
        ([STEADY[0], window(1, [25.0], [250.0, 260.0])], 3, {"moto": 1.0}, ["lag p50"]),
        ([STEADY[0], window(1, [25.0], [10.0, 20.0, 2500.0])], 3, {"moto": 1.0}, ["lag max"]),
        (
            [STEADY[0], window(1, [25.0, 25.0], [60.0], server_errors=1)],
            4,
            {"moto": 1.0},
            ["no 5xx, no failed requests"],
        ),
        (
            [STEADY[0], window(1, [25.0, 25.0], [60.0], request_errors=2)],
            4,
            {"moto": 1.0},
            ["no 5xx, no failed requests"],
        ),
    ],
)
def test_verdict_fails_exactly_the_missed_targets(
    windows: list[Window], planned: int, rss: dict[str, float], failing: list[str]
) -> None:
    assert failed(verdict(windows, planned, rss, Targets())) == failing


def test_a_last_window_without_a_successful_write_fails_the_growth_check() -> None:
    broken = Window(1, 2, writes_done=2, server_errors=2, lag_ms=[60.0])
    checks = verdict([STEADY[0], broken], 4, {"moto": 1.0})
    growth = next(c for c in checks if c.name.startswith("write p50"))
    assert growth.ok is False and growth.detail == "no write of the last window succeeded"


def test_a_failed_write_is_done_but_not_timed() -> None:
    recorder = Recorder(writes=1, size=1)
    recorder.write(0, None, late=False)
    assert recorder.windows[0].complete and recorder.windows[0].write_ms == []


def test_verdict_says_what_it_could_not_judge() -> None:
    checks = verdict([window(0, [20.0], [])], 1, None)
    unjudged = {c.name.split(" <=")[0] for c in checks if c.ok is None}
    assert unjudged == {"write p50 steady", "control-plane RSS", "lag p50", "lag max"}


def test_table_rows_line_up_with_the_header_and_mark_short_windows() -> None:
    table = Table(["moto", "emulator"])
    w = window(2, [20.0, 300.0], [50.0])
    w.expected, w.rss_mb = 3, {"moto": 412.5, "emulator": None}
    row = table.row(w, size=3)
    assert len(row.split()) == len(table.header().split()) and row.split()[0] == "8*"
    assert "412" in row.split() and "-" in row.split()


@pytest.mark.parametrize(
    ("text", "mb"),
    [("Name:\tpython\nVmRSS:\t  204800 kB\nThreads:\t3\n", 200.0), ("Name:\tzombie\nState:\tZ\n", None)],
)
def test_vm_rss_is_read_from_proc_status(text: str, mb: float | None) -> None:
    assert proc_rss.vm_rss_mb(text) == mb


def test_pid_files_name_the_processes_and_only_moto_and_stores_are_control_plane(tmp_path: Path) -> None:
    for name, content in {
        "moto": "11",
        "emulator": "12",
        "mock_idp": "13",
        "dynamodb": "14",
        "bad": "x",
    }.items():
        (tmp_path / f"{name}.pid").write_text(content)
    pids = proc_rss.read_pids(tmp_path)
    assert pids == {"dynamodb": 14, "emulator": 12, "mock_idp": 13, "moto": 11}
    assert proc_rss.control_plane(list(pids)) == ["dynamodb", "moto"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"STACK_ENV": "/elsewhere/stack.env"}, Path("/elsewhere/stack.env")),
        ({"LOCAL_STATE_DIR": "/state"}, Path("/state/stack.env")),
    ],
)
def test_the_stack_file_follows_stack_env_then_local_state_dir(env: dict[str, str], expected: Path) -> None:
    assert stack_env.default_path(env) == expected  # the one loader bench.stack.load_stack reads


def test_pid_files_sit_next_to_the_stacks_log_dir() -> None:
    assert stack.pid_dir({"LOG_DIR": "/state/logs"}) == Path("/state/pids")
