"""rebuild-read-model against a moto server: a corrupted read model is re-projected from the event store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import boto3
import pytest
from books.adapters.event_store import DynamoDbEventStore
from books.adapters.read_model import DynamoDbReadModel
from books.domain.events import BookAdded, BookPatched, BookRemoved, Event
from books.domain.model import Book, BookFields
from books.service_layer.projection import project
from books.service_layer.rebuild import RebuildReport, rebuild
from books.service_layer.unit_of_work import DynamoDbUnitOfWork

from devstack import rebuild_read_model, stack_env
from tests.integration.services.conftest import Tables

NOW = 1_764_300_000
KEPT, PATCHED, REMOVED = (f"5b0f7a7e-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))
JUNK = "5b0f7a7e-0000-4000-8000-0000000000ff"  # a read-model item no event ever named


def a_book(book_id: str, version: int, title: str = "Dune") -> Book:
    fields = BookFields(title=title, authors=("Frank Herbert",), isbn=f"97804411727{book_id[-1]}9")
    return Book(book_id, fields, version, "t0", f"t{version}", "alice")


HISTORY: list[Event] = [
    BookAdded(a_book(KEPT, 1), "alice"),
    BookAdded(a_book(PATCHED, 1), "alice"),
    BookPatched(a_book(PATCHED, 2, "Dune Messiah"), "bob", ("title",)),
    BookAdded(a_book(REMOVED, 1), "alice"),
    BookRemoved(a_book(REMOVED, 2), "bob"),
]


@pytest.fixture
def healthy(dynamodb: Any, tables: Tables) -> dict[str, dict[str, Any]]:
    """The events written, every one projected as the projector would: the read model rebuild must return to."""
    uow = DynamoDbUnitOfWork(dynamodb, tables.event_store)
    read_model = DynamoDbReadModel(dynamodb, tables.read_model)
    for event in HISTORY:
        with uow:
            uow.append(event)
            uow.commit(NOW)
        project(event, read_model)
    return items(dynamodb, tables.read_model)


def items(dynamodb: Any, table: str) -> dict[str, dict[str, Any]]:
    return {item["id"]["S"]: item for item in dynamodb.scan(TableName=table)["Items"]}


def run(dynamodb: Any, tables: Tables) -> RebuildReport:
    return rebuild(
        dynamodb,
        DynamoDbEventStore(dynamodb, tables.event_store),
        DynamoDbReadModel(dynamodb, tables.read_model),
        (tables.event_store, tables.read_model),
    )


def delete(book_id: str) -> Callable[[Any, str], None]:
    return lambda dynamodb, table: dynamodb.delete_item(TableName=table, Key={"id": {"S": book_id}})


def put(item: dict[str, Any]) -> Callable[[Any, str], None]:
    return lambda dynamodb, table: dynamodb.put_item(TableName=table, Item=item)


STALE = {"id": {"S": PATCHED}, "version": {"N": "1"}, "title": {"S": "Dune"}, "kind": {"S": "book"}}
STALE["title_key"] = {"S": f"dune#{PATCHED}"}
JUNK_ITEM = {"id": {"S": JUNK}, "version": {"N": "4"}, "kind": {"S": "book"}, "title_key": {"S": f"x#{JUNK}"}}
AHEAD = {**STALE, "version": {"N": "9"}}


@pytest.mark.parametrize(
    ("corrupt", "restored", "removed", "ahead"),
    [
        pytest.param(delete(KEPT), [f"{KEPT}@1"], [], [], id="a deleted item is re-projected"),
        pytest.param(put(STALE), [f"{PATCHED}@2"], [], [], id="a stale version is brought up to date"),
        pytest.param(delete(REMOVED), [f"{REMOVED}@2"], [], [], id="a lost tombstone is written again"),
        pytest.param(put(JUNK_ITEM), [], [JUNK], [], id="an item without events is removed"),
        # Versioned upserts never go back: an item newer than every event is reported, not overwritten.
        pytest.param(put(AHEAD), [], [], [f"{PATCHED}@9"], id="an item ahead of its events is reported"),
    ],
)
def test_rebuild_repairs_what_the_event_store_can_prove(
    dynamodb: Any,
    tables: Tables,
    healthy: dict[str, dict[str, Any]],
    corrupt: Callable[[Any, str], None],
    restored: list[str],
    removed: list[str],
    ahead: list[str],
) -> None:
    corrupt(dynamodb, tables.read_model)

    report = run(dynamodb, tables)

    assert (report.restored, report.removed, report.ahead) == (restored, removed, ahead)
    assert report.books == 3 and report.fixed == len(restored) + len(removed)
    if not ahead:
        assert items(dynamodb, tables.read_model) == healthy


def test_a_second_rebuild_fixes_nothing(
    dynamodb: Any, tables: Tables, healthy: dict[str, dict[str, Any]]
) -> None:
    delete(KEPT)(dynamodb, tables.read_model)
    put(JUNK_ITEM)(dynamodb, tables.read_model)
    assert run(dynamodb, tables).fixed == 2

    again = run(dynamodb, tables)

    assert again.fixed == 0 and again.books == 3
    assert items(dynamodb, tables.read_model) == healthy


def test_a_write_newer_than_the_rebuild_wins(
    dynamodb: Any, tables: Tables, healthy: dict[str, dict[str, Any]]
) -> None:
    # The projector lands version 3 after the scan; the rebuild's upsert of version 2 must not undo it.
    newer = replace(a_book(PATCHED, 3, "Children of Dune"))
    DynamoDbReadModel(dynamodb, tables.read_model).upsert(newer)

    report = run(dynamodb, tables)

    assert report.restored == [] and report.ahead == [f"{PATCHED}@3"]
    assert items(dynamodb, tables.read_model)[PATCHED]["title"] == {"S": "Children of Dune"}


@pytest.mark.parametrize("ambient_credentials", [True, False], ids=["with-aws-credentials", "without"])
def test_the_command_reads_the_stack_env_and_prints_what_it_fixed(
    ambient_credentials: bool,
    dynamodb: Any,
    tables: Tables,
    healthy: dict[str, dict[str, Any]],
    moto_endpoint: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "stack.env"
    stack_env.write(
        path,
        {
            "AWS_ENDPOINT_URL": moto_endpoint,
            "AWS_REGION": "us-east-1",
            "EVENT_STORE_TABLE": tables.event_store,
            "READ_MODEL_TABLE": tables.read_model,
        },
    )
    monkeypatch.setenv("STACK_ENV", str(path))
    delete(KEPT)(dynamodb, tables.read_model)
    if not ambient_credentials:  # a local stack needs none (the make target runs in the developer's shell)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.delenv(name)
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # it caches the credentials it found first

    assert rebuild_read_model.main() == 0, capsys.readouterr().err

    out = capsys.readouterr().out
    assert f"rebuild-read-model: {tables.read_model} from {tables.event_store}" in out
    assert "rebuild-read-model: 3 books, fixed 1 (1 re-projected, 0 without events removed)" in out
    assert items(dynamodb, tables.read_model) == healthy


def test_a_missing_stack_env_is_a_one_line_error(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STACK_ENV", str(tmp_path / "absent.env"))

    assert rebuild_read_model.main() == 2

    err = capsys.readouterr().err
    assert err.startswith("rebuild-read-model: ") and "absent.env is missing" in err and err.count("\n") == 1
