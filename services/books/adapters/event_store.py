"""The event store: book events keyed by (book id, version), ISBN claims and idempotency records."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from books.adapters import event_codec
from books.domain.errors import ConcurrentUpdate, IsbnAlreadyCatalogued
from books.domain.events import Event
from books.domain.model import Book


@dataclass(frozen=True)
class IdempotencyRecord:
    """The first outcome of a keyed request, and a fingerprint of the request that produced it."""

    fingerprint: str
    book: Book
    expires_at: int


@dataclass(frozen=True)
class AppendEvent:
    event: Event


@dataclass(frozen=True)
class ClaimIsbn:
    isbn: str
    book_id: str


@dataclass(frozen=True)
class ReleaseIsbn:
    isbn: str
    book_id: str


@dataclass(frozen=True)
class Remember:
    key: str
    record: IdempotencyRecord


Write = AppendEvent | ClaimIsbn | ReleaseIsbn | Remember


class KeyAlreadyRemembered(Exception):
    """A concurrent request with the same idempotency key committed first."""


class AbstractEventStore(abc.ABC):
    """Reads the latest event of a book and writes a set of changes all-or-nothing."""

    @abc.abstractmethod
    def latest(self, book_id: str) -> Event | None:
        """The book's newest event, or None if it never existed."""

    @abc.abstractmethod
    def recall(self, key: str, now: int) -> IdempotencyRecord | None:
        """The unexpired record stored under an idempotency key."""

    @abc.abstractmethod
    def write(self, writes: tuple[Write, ...], now: int) -> None:
        """Apply every write or none; raise ConcurrentUpdate, IsbnAlreadyCatalogued or KeyAlreadyRemembered."""


class DynamoDbEventStore(AbstractEventStore):
    """The event store table: hash pk (S), range sk (N); see docs/contracts.md."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table
        self._ser = TypeSerializer()
        self._de = TypeDeserializer()

    def latest(self, book_id: str) -> Event | None:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": event_codec.book_pk(book_id)}},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = response.get("Items", [])
        return event_codec.event_from_item(self._decode(items[0])) if items else None

    def recall(self, key: str, now: int) -> IdempotencyRecord | None:
        response = self._client.get_item(
            TableName=self._table, Key=self._key(event_codec.IDEMPOTENCY_PREFIX + key), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        item = self._decode(response["Item"])
        if int(item["expires_at"]) <= now:
            return None
        return IdempotencyRecord(
            str(item["fingerprint"]), Book.from_dict(item["book"]), int(item["expires_at"])
        )

    def write(self, writes: tuple[Write, ...], now: int) -> None:
        if not writes:
            return
        try:
            self._client.transact_write_items(TransactItems=[self._transact_item(w, now) for w in writes])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons", [])
            failed = [
                w for w, r in zip(writes, reasons, strict=False) if r.get("Code") == "ConditionalCheckFailed"
            ]
            # A retry racing its twin fails on the ISBN claim too; the key decides what it is.
            failed.sort(key=lambda w: not isinstance(w, Remember))
            if failed:
                raise _conflict(failed[0]) from exc
            raise

    def _transact_item(self, write: Write, now: int) -> dict[str, Any]:
        if isinstance(write, AppendEvent):
            return self._put(event_codec.event_to_item(write.event), "attribute_not_exists(pk)", {})
        if isinstance(write, ClaimIsbn):
            item = {"pk": event_codec.ISBN_PREFIX + write.isbn, "sk": 0, "book_id": write.book_id}
            return self._put(item, "attribute_not_exists(pk)", {})
        if isinstance(write, ReleaseIsbn):
            # Only the owner releases a claim; a missing claim is already released.
            return {
                "Delete": {
                    "TableName": self._table,
                    "Key": self._key(event_codec.ISBN_PREFIX + write.isbn),
                    "ConditionExpression": "attribute_not_exists(pk) OR book_id = :owner",
                    "ExpressionAttributeValues": {":owner": {"S": write.book_id}},
                }
            }
        item = idempotency_item(write.key, write.record)
        # An expired record may linger until DynamoDB's TTL sweeper deletes it.
        return self._put(item, "attribute_not_exists(pk) OR expires_at <= :now", {":now": {"N": str(now)}})

    def _put(self, item: dict[str, Any], condition: str, values: dict[str, Any]) -> dict[str, Any]:
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": {k: self._ser.serialize(v) for k, v in item.items()},
            "ConditionExpression": condition,
        }
        if values:
            put["ExpressionAttributeValues"] = values
        return {"Put": put}

    def _key(self, pk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"N": "0"}}

    def _decode(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: self._de.deserialize(v) for k, v in item.items()}


def idempotency_item(key: str, record: IdempotencyRecord) -> dict[str, Any]:
    """The item (plain Python values) that remembers a keyed request's first outcome."""
    return {
        "pk": event_codec.IDEMPOTENCY_PREFIX + key,
        "sk": 0,
        "fingerprint": record.fingerprint,
        "book": record.book.to_dict(),
        "expires_at": record.expires_at,
    }


def _conflict(write: Write) -> Exception:
    if isinstance(write, ClaimIsbn):
        return IsbnAlreadyCatalogued(f"ISBN {write.isbn} is already catalogued")
    if isinstance(write, Remember):
        return KeyAlreadyRemembered(write.key)
    return ConcurrentUpdate("another request changed this book at the same time")
