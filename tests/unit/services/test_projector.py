"""The projector: replays, duplicates and out-of-order delivery leave the read model right; poison is reported."""

from __future__ import annotations

import copy
import logging
from types import SimpleNamespace
from typing import Any

import pytest
from books.adapters.event_codec import event_to_item
from books.domain.events import BookAdded, BookPatched, BookRemoved, BookReplaced, Event
from books.domain.model import Book, BookFields
from books.entrypoints.projector import project_batch
from boto3.dynamodb.types import TypeSerializer

from tests.unit.services.fakes import FakeReadModel, load_event

CONTEXT = SimpleNamespace(aws_request_id="req-p")
BOOK_ID = "3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c93"
_serializer = TypeSerializer()
_sequence = iter(range(1, 10_000))


def version(v: int, title: str = "The Left Hand of Darkness") -> Book:
    fields = BookFields(title=title, authors=("Ursula K. Le Guin",), isbn="9780441478125")
    return Book(BOOK_ID, fields, v, "2025-11-28T03:50:00.000Z", f"2025-11-28T03:5{v}:00.000Z", "local-writer")


def record(event: Event) -> dict[str, Any]:
    """A stream record shaped like tests/events/books_dynamodb_stream_insert.json, for any event."""
    sample = copy.deepcopy(load_event("books_dynamodb_stream_insert")["Records"][0])
    item = event_to_item(event)
    sample["dynamodb"]["Keys"] = {"pk": {"S": item["pk"]}, "sk": {"N": str(item["sk"])}}
    sample["dynamodb"]["NewImage"] = {k: _serializer.serialize(v) for k, v in item.items()}
    sample["dynamodb"]["SequenceNumber"] = f"{next(_sequence):024d}"
    return sample


def run(read_model: FakeReadModel, *records: dict[str, Any]) -> list[dict[str, str]]:
    return project_batch({"Records": list(records)}, CONTEXT, read_model)["batchItemFailures"]


def test_sample_insert_record_is_projected() -> None:
    read_model = FakeReadModel()
    assert project_batch(load_event("books_dynamodb_stream_insert"), CONTEXT, read_model) == {
        "batchItemFailures": []
    }
    image = load_event("books_dynamodb_stream_insert")["Records"][0]["dynamodb"]["NewImage"]["book"]["M"]
    projected = read_model.get(BOOK_ID)
    assert projected is not None
    assert projected["title"] == image["title"]["S"] and projected["page_count"] == 304
    assert projected["tags"] == ["science fiction"] and projected["version"] == 1


def test_replaying_a_batch_changes_nothing() -> None:
    read_model = FakeReadModel()
    batch = [record(BookAdded(version(1), "u")), record(BookReplaced(version(2, "Second"), "u"))]
    assert run(read_model, *batch) == []
    snapshot = copy.deepcopy(read_model.items)
    assert run(read_model, *batch) == []
    assert read_model.items == snapshot
    assert read_model.get(BOOK_ID)["title"] == "Second"  # type: ignore[index]


def test_an_older_version_after_a_newer_one_is_ignored() -> None:
    read_model = FakeReadModel()
    run(read_model, record(BookPatched(version(3, "Third"), "u", ("title",))))
    run(read_model, record(BookReplaced(version(2, "Second"), "u")), record(BookAdded(version(1), "u")))
    assert read_model.get(BOOK_ID)["version"] == 3  # type: ignore[index]
    assert read_model.get(BOOK_ID)["title"] == "Third"  # type: ignore[index]


def test_a_late_event_does_not_resurrect_a_removed_book() -> None:
    read_model = FakeReadModel()
    run(read_model, record(BookAdded(version(1), "u")), record(BookRemoved(version(3), "u")))
    assert read_model.get(BOOK_ID) is None
    run(read_model, record(BookReplaced(version(2, "Late"), "u")), record(BookAdded(version(1), "u")))
    assert read_model.get(BOOK_ID) is None
    assert read_model.page(author=None, q=None, limit=10, start=None) == ([], None)


def test_removal_arriving_first_still_wins() -> None:
    read_model = FakeReadModel()
    run(read_model, record(BookRemoved(version(2), "u")), record(BookAdded(version(1), "u")))
    assert read_model.get(BOOK_ID) is None


def test_non_book_items_and_removes_are_skipped() -> None:
    read_model = FakeReadModel()
    claim = copy.deepcopy(load_event("books_dynamodb_stream_insert")["Records"][0])
    claim["dynamodb"]["Keys"] = {"pk": {"S": "isbn#9780441478125"}, "sk": {"N": "0"}}
    claim["dynamodb"]["NewImage"] = {
        "pk": {"S": "isbn#9780441478125"},
        "sk": {"N": "0"},
        "book_id": {"S": BOOK_ID},
    }
    expired = copy.deepcopy(claim)
    expired["eventName"] = "REMOVE"
    del expired["dynamodb"]["NewImage"]
    assert run(read_model, claim, expired) == []
    assert read_model.items == {}


SERVICE = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}  # a TTL deletion (Lambda's spelling)


def remove(pk: str, sk: int = 0, old_image: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A REMOVE record as the stream carries it: keys, and OldImage only when the view type has it."""
    sample = copy.deepcopy(load_event("books_dynamodb_stream_insert")["Records"][0])
    sample["eventName"] = "REMOVE"
    sample["dynamodb"]["Keys"] = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
    del sample["dynamodb"]["NewImage"]
    if old_image is not None:
        sample["dynamodb"]["OldImage"] = old_image
    sample["dynamodb"]["SequenceNumber"] = f"{next(_sequence):024d}"
    return {**sample, **extra}


def _idempotency_image(book: Book) -> dict[str, Any]:
    item = {
        "pk": "idem#local-writer\nk1",
        "sk": 0,
        "fingerprint": "f" * 64,
        "book": book.to_dict(),
        "expires_at": 1,
    }
    return {k: _serializer.serialize(v) for k, v in item.items()}


@pytest.mark.parametrize(
    "removed",
    [
        pytest.param(
            remove("idem#local-writer\nk1", userIdentity=SERVICE), id="ttl-expiry-of-an-idempotency-record"
        ),
        pytest.param(
            remove(
                "idem#local-writer\nk1",
                old_image=_idempotency_image(version(1, "Stale")),
                userIdentity=SERVICE,
            ),
            id="ttl-expiry-with-an-old-image-holding-a-stale-book",
        ),
        pytest.param(remove("isbn#9780441478125"), id="a-released-isbn-claim"),
        pytest.param(remove(f"book#{BOOK_ID}", 2, userIdentity=SERVICE), id="a-ttl-remove-of-a-book-event"),
        pytest.param(remove(f"book#{BOOK_ID}", 2), id="a-deleted-book-event"),
    ],
)
def test_a_remove_record_never_changes_the_read_model(
    removed: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    read_model = FakeReadModel()
    run(
        read_model,
        record(BookAdded(version(1), "u")),
        record(BookPatched(version(2, "Second"), "u", ("title",))),
    )
    before = copy.deepcopy(read_model.items)

    with caplog.at_level(logging.INFO, logger="books.projector"):
        failures = run(read_model, removed)

    assert failures == []
    assert read_model.items == before
    assert (vars(caplog.records[-1])["skipped"], vars(caplog.records[-1])["applied"]) == (1, 0)


def test_a_poison_record_is_reported_and_does_not_block_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    read_model = FakeReadModel()
    poison = record(BookAdded(version(1), "u"))
    poison["dynamodb"]["NewImage"]["event_type"] = {"S": "BookStolen"}
    no_image = record(BookAdded(version(1), "u"))
    del no_image["dynamodb"]["NewImage"]
    good = record(BookAdded(version(1), "u"))
    with caplog.at_level(logging.INFO, logger="books.projector"):
        failures = run(read_model, poison, no_image, good)
    assert failures == [
        {"itemIdentifier": poison["dynamodb"]["SequenceNumber"]},
        {"itemIdentifier": no_image["dynamodb"]["SequenceNumber"]},
    ]
    assert read_model.get(BOOK_ID) is not None
    summary = caplog.records[-1]
    assert vars(summary)["failed"] == 2 and vars(summary)["projected"] == [f"{BOOK_ID}@1"]
