"""local-watch: which saved file leads to which action, and the one line printed per event."""

from __future__ import annotations

import importlib.util
import py_compile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack import source_digests, watch
from devstack.config import REPO_ROOT, StackConfig
from tests.unit.devstack.fakes import FakeStack

ALL = ("command", "query", "projector")


@pytest.mark.parametrize(
    ("paths", "functions", "apply"),
    [
        (["services/books/api/handlers.py"], ALL, False),
        (["services/requirements.txt"], ALL, False),
        (["services/functions/query/Dockerfile"], ("query",), False),
        (
            ["services/functions/command/Dockerfile", "services/functions/projector/Dockerfile"],
            ("command", "projector"),
            False,
        ),
        (["terraform/variables.tf"], (), True),
        (["terraform/modules/api/main.tf"], (), True),
        (["terraform/variables.tf", "services/books/domain/isbn.py"], ALL, True),
    ],
)
def test_a_saved_file_maps_to_its_functions_or_to_a_terraform_apply(
    paths: list[str], functions: tuple[str, ...], apply: bool
) -> None:
    event = watch.classify(REPO_ROOT / p for p in paths)
    assert event is not None
    assert (event.functions, event.apply) == (functions, apply)
    assert event.changed == tuple(sorted(paths))


@pytest.mark.parametrize(
    "path",
    [
        "services/books/__pycache__/handlers.cpython-311.pyc",
        "services/books/api/handlers.pyc",
        "terraform/.terraform/modules/modules.json",
        "terraform/terraform.tfstate",
        "terraform/README.md",
        "services/functions/unknown/Dockerfile",
        "README.md",
        "tests/unit/test_route_parity.py",
    ],
)
def test_files_outside_build_contexts_and_terraform_sources_do_nothing(path: str) -> None:
    assert watch.classify([REPO_ROOT / path]) is None


class FakeActions:
    """Records what the watcher asked for; reload answers come from `answers`."""

    def __init__(self, answers: dict[str, dict[str, Any]] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[str] = []

    def actions(self) -> watch.Actions:
        def reload(function: str, warm: bool) -> dict[str, Any]:
            if not warm:
                self.calls.append(f"retire {function}")
                return {"retired": 1, "init_error": None}
            self.calls.append(f"warm {function}")
            return self.answers.get(function, {"retired": 0, "init_error": None})

        def apply() -> str:
            self.calls.append("apply")
            return "terraform apply: Apply complete! Resources: 0 added, 1 changed, 0 destroyed."

        return watch.Actions(reload, apply)


SYNTAX = {
    "errorType": "Runtime.UserCodeSyntaxError",
    "errorMessage": "Syntax error in module 'x': invalid syntax",
}


@pytest.mark.parametrize(
    ("event", "answers", "calls", "says"),
    [
        (
            watch.Event(("services/books/views.py",), ALL),
            {},
            [
                "retire command",
                "retire query",
                "retire projector",
                "warm command",
                "warm query",
                "warm projector",
            ],
            "services/books/views.py -> reloaded command, query, projector; new code live ",
        ),
        (
            watch.Event(("services/books/api/handlers.py",), ("query",)),
            {"query": {"init_error": SYNTAX}},
            ["retire query", "warm query"],
            "-> query INIT ERROR Runtime.UserCodeSyntaxError: Syntax error in module 'x': invalid syntax (",
        ),
        (
            watch.Event(("terraform/variables.tf", "terraform/main.tf"), apply=True),
            {},
            ["apply"],
            "terraform/variables.tf (+1 more) -> terraform apply: Apply complete! Resources: 0 added, 1 changed",
        ),
        (
            watch.Event(("terraform/variables.tf", "services/books/x.py"), ("command",), apply=True),
            {},
            ["apply", "retire command", "warm command"],
            "-> terraform apply: Apply complete! Resources: 0 added, 1 changed, 0 destroyed.; reloaded command; new code live ",
        ),
    ],
)
def test_each_event_is_acted_on_and_said_in_one_timed_line(
    event: watch.Event, answers: dict[str, dict[str, Any]], calls: list[str], says: str
) -> None:
    fake = FakeActions(answers)
    line = watch.handle(event, fake.actions())
    assert sorted(fake.calls) == sorted(calls)
    retires = [i for i, call in enumerate(fake.calls) if call.startswith("retire")]
    warms = [i for i, call in enumerate(fake.calls) if call.startswith("warm")]
    assert not warms or max(retires) < min(warms), "every function is retired before any is warmed"
    assert says in line and line.startswith("[local-watch] ") and "\n" not in line
    assert line.endswith("s)")


@pytest.fixture
def fake_stack() -> Iterator[FakeStack]:
    stack = FakeStack()
    stack.thread.start()
    yield stack
    stack.server.shutdown()
    stack.server.server_close()


def test_reload_posts_to_the_emulators_reload_endpoint_of_the_deployed_function(
    fake_stack: FakeStack,
) -> None:
    port = int(fake_stack.url.rsplit(":", 1)[1])
    config = StackConfig().with_ports(1, 2, port, 3)
    path = "/_emulator/functions/dev-books-query/reload"
    fake_stack.post_answers[path] = {"function": "dev-books-query", "retired": 2, "init_error": SYNTAX}
    actions = watch.stack_actions(config, {"QUERY_FUNCTION": "dev-books-query"})

    assert actions.reload("query", True)["init_error"] == SYNTAX
    assert [r["path"] for r in fake_stack.requests] == [f"{path}?warm=true"]


def test_an_unreachable_emulator_is_reported_as_the_reload_error() -> None:
    config = StackConfig().with_ports(1, 2, 9, 3)  # the discard port: nothing listens
    answer = watch.stack_actions(config, {}).reload("command", False)
    assert answer["init_error"]["errorType"] == "EmulatorUnreachable"


def test_a_save_that_leaves_the_build_context_as_it_was_does_nothing() -> None:
    digests = source_digests.source_digests()
    saved = watch.Event(("services/books/views.py",), ALL)
    assert watch.only_changed(saved, digests) is None
    stale = {**digests, "query": "sha256:old"}
    assert watch.only_changed(saved, stale) == watch.Event(saved.changed, ("query",))
    assert watch.only_changed(watch.Event(saved.changed, ALL, apply=True), digests) == watch.Event(
        saved.changed, (), apply=True
    )


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            "terraform init failed (1):\n\nError: Terraform encountered problems during initialisation, including"
            " problems\n\nError: Unclosed configuration block\n  on variables.tf line 160",
            "Error: Unclosed configuration block",
        ),
        ("terraform apply failed (1):\nError: creating Lambda Function", "Error: creating Lambda Function"),
        ("the emulator did not pick up API x within 30s", "the emulator did not pick up API x within 30s"),
    ],
)
def test_a_failed_apply_is_said_by_its_first_real_error(output: str, expected: str) -> None:
    assert watch.first_error(output) == expected


def test_the_bytecode_of_a_changed_module_is_dropped_so_a_same_size_edit_is_not_missed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(watch, "REPO_ROOT", tmp_path)
    module = tmp_path / "services" / "books" / "m.py"
    module.parent.mkdir(parents=True)
    module.write_text("A = 1\n")
    py_compile.compile(str(module))
    cached = Path(importlib.util.cache_from_source(str(module)))
    assert cached.exists()
    watch.drop_bytecode(["services/books/m.py", "services/requirements.txt", "services/books/gone.py"])
    assert not cached.exists()


@pytest.mark.parametrize(
    ("mode", "healthy", "brings_up", "mounts_code"),
    [
        ("embedded", True, False, None),  # a live embedded stack is reused as it is
        ("embedded", False, True, "0"),
        ("docker", True, True, "1"),  # compose re-creates the emulator with the code mounted
    ],
)
def test_watch_brings_the_stack_up_as_its_mode_needs(
    monkeypatch: pytest.MonkeyPatch, mode: str, healthy: bool, brings_up: bool, mounts_code: str | None
) -> None:
    import os

    import watchfiles

    from devstack import stack_env, up

    ups: list[str | None] = []
    monkeypatch.setenv("EMULATOR_MOUNT_CODE", "0")  # recorded, so watch's own setting is undone after
    monkeypatch.setattr(stack_env, "load", lambda path, environ: {"API_URL": "http://api"})
    monkeypatch.setattr(stack_env, "read", lambda path: {"API_URL": "http://api"})
    monkeypatch.setattr(stack_env, "answers_health", lambda values: healthy)

    def fake_up(config: StackConfig) -> int:
        ups.append(os.environ.get("EMULATOR_MOUNT_CODE"))
        return 0

    monkeypatch.setattr(up, "up", fake_up)
    monkeypatch.setattr(watch, "stack_actions", lambda config, values: None)
    monkeypatch.setattr(watchfiles, "watch", lambda *paths, **options: iter(()))
    lines: list[str] = []
    assert watch.watch(StackConfig(mode=mode), lines.append) == 0
    assert ups == ([mounts_code] if brings_up else [])
    assert lines[-1].startswith("[local-watch] stopped watching")


def test_watch_refuses_a_mode_it_cannot_reload_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert watch.watch(StackConfig(mode="kubernetes"), lambda line: None) == 2
    assert (
        capsys.readouterr().err
        == "local-watch: MODE=kubernetes cannot be live-reloaded (embedded or docker)\n"
    )
