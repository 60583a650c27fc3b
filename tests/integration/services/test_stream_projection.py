"""The three Lambda handlers wired by bootstrap from env vars, with the projector fed moto's real stream."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from books import bootstrap
from books.entrypoints import command, projector, query

from tests.integration.services.conftest import Tables, stream_records
from tests.unit.services.fakes import load_event

CONTEXT = SimpleNamespace(aws_request_id="it-request")


@pytest.fixture
def wired(moto_endpoint: str, tables: Tables, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Configure the functions exactly as Lambda would: env vars only, boto3 finds the endpoint itself."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("EVENT_STORE_TABLE", tables.event_store)
    monkeypatch.setenv("READ_MODEL_TABLE", tables.read_model)
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level  # bootstrap installs the JSON handler
    caches = (bootstrap.settings, bootstrap._dynamodb, bootstrap.command_deps, bootstrap.read_model)
    apps = (command.app, query.app)
    for cached in (*caches, *apps):
        cached.cache_clear()
    yield
    for cached in (*caches, *apps):
        cached.cache_clear()
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def http(name: str, book_id: str | None = None, body: Any = None, **headers: str) -> dict[str, Any]:
    event = load_event(name)
    if book_id is not None:
        event["pathParameters"] = {"id": book_id}
    if body is not None:
        event["body"] = json.dumps(body)
    event["headers"].update(headers)
    return event


def get(book_id: str) -> tuple[int, Any]:
    response = query.handler(http("books_get_book", book_id), CONTEXT)
    return response["statusCode"], json.loads(response["body"])


def project(records: list[dict[str, Any]]) -> dict[str, Any]:
    return projector.handler({"Records": records}, CONTEXT)


@pytest.mark.usefixtures("wired")
def test_writes_flow_through_the_real_stream_into_reads(dynamodb: Any, streams: Any, tables: Tables) -> None:
    posted = command.handler(http("books_post_book"), CONTEXT)
    assert posted["statusCode"] == 201, posted
    book_id = json.loads(posted["body"])["id"]
    patched = command.handler(http("books_patch_book", book_id), CONTEXT)
    assert patched["statusCode"] == 200 and patched["headers"]["etag"] == '"2"'
    assert get(book_id)[0] == 404  # nothing projected yet: reads never touch the event store

    records = stream_records(dynamodb, streams, tables.event_store)
    book_records = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"].startswith("book#")]
    assert [r["eventName"] for r in book_records] == ["INSERT", "INSERT"]
    assert project(records) == {"batchItemFailures": []}
    status, body = get(book_id)
    assert status == 200 and body["version"] == 2 and body["page_count"] == 320 and "tags" not in body

    listed = query.handler(http("books_list_books"), CONTEXT)
    assert [b["id"] for b in json.loads(listed["body"])["items"]] == [book_id]


@pytest.mark.usefixtures("wired")
def test_replayed_and_reversed_stream_leaves_the_same_read_model(
    dynamodb: Any, streams: Any, tables: Tables
) -> None:
    book_id = json.loads(command.handler(http("books_post_book"), CONTEXT)["body"])["id"]
    command.handler(http("books_put_book", book_id), CONTEXT)
    records = stream_records(dynamodb, streams, tables.event_store)
    project(records[::-1])  # newest first: the older insert must not win
    project(records)  # and the whole batch again
    status, body = get(book_id)
    assert status == 200 and body["version"] == 2 and body["subtitle"] == "A Novel"


@pytest.mark.usefixtures("wired")
def test_deleted_book_stays_deleted_whatever_the_delivery_order(
    dynamodb: Any, streams: Any, tables: Tables
) -> None:
    book_id = json.loads(command.handler(http("books_post_book"), CONTEXT)["body"])["id"]
    deleted = command.handler(http("books_delete_book", book_id), CONTEXT)
    assert deleted["statusCode"] == 204
    records = stream_records(dynamodb, streams, tables.event_store)
    project([r for r in records if r["eventName"] == "REMOVE" or r["dynamodb"]["Keys"]["sk"]["N"] == "2"])
    project(records)
    assert get(book_id)[0] == 404
    assert json.loads(query.handler(http("books_list_books"), CONTEXT)["body"]) == {
        "items": [],
        "next_cursor": None,
    }


@pytest.mark.usefixtures("wired")
def test_a_poison_record_on_the_real_stream_is_reported_alone(
    dynamodb: Any, streams: Any, tables: Tables
) -> None:
    book_id = json.loads(command.handler(http("books_post_book"), CONTEXT)["body"])["id"]
    dynamodb.put_item(
        TableName=tables.event_store,
        Item={
            "pk": {"S": "book#ffffffff-0000-4000-8000-000000000000"},
            "sk": {"N": "1"},
            "event_type": {"S": "Junk"},
        },
    )
    records = stream_records(dynamodb, streams, tables.event_store)
    poison = records[-1]
    assert project(records) == {
        "batchItemFailures": [{"itemIdentifier": poison["dynamodb"]["SequenceNumber"]}]
    }
    assert get(book_id)[0] == 200
