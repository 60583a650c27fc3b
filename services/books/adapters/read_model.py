"""The read model table: one item per book (hash `id`), listed through the `by_title` GSI."""

from __future__ import annotations

import abc
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from books.domain.model import Book

KIND = "book"
TITLE_INDEX = "by_title"
# Attributes that exist for indexing and filtering only; never shown to clients.
INTERNAL_ATTRIBUTES = ("kind", "title_key", "author_keys", "search_text", "deleted")
# Bounds the DynamoDB calls one list request makes when filters reject most items.
MAX_PAGES_PER_LIST = 10
FILTERED_PAGE_SIZE = 100
_TITLE_KEY_CHARS = 200  # keeps the range key well under DynamoDB's 1024-byte limit


def fold(text: str) -> str:
    """Case- and space-insensitive form used for title order, author match and search."""
    return " ".join(text.casefold().split())


def read_model_item(book: Book) -> dict[str, Any]:
    """The read model item for a book: its public fields plus index and search attributes."""
    authors = list(book.fields.authors)
    searchable = [book.fields.title, book.fields.subtitle or "", book.fields.description or "", *authors]
    return {
        **book.to_dict(),
        "kind": KIND,
        "title_key": f"{fold(book.fields.title)[:_TITLE_KEY_CHARS]}#{book.id}",
        "author_keys": [fold(a) for a in authors],
        "search_text": "\n".join(fold(s) for s in searchable if s),
    }


def public_view(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in INTERNAL_ATTRIBUTES}


class AbstractReadModel(abc.ABC):
    """Versioned upserts and tombstones for the projector; lookups and pages for the views."""

    @abc.abstractmethod
    def upsert(self, book: Book) -> bool:
        """Store the book unless a same-or-newer version (or tombstone) is there; True if written."""

    @abc.abstractmethod
    def tombstone(self, book_id: str, version: int) -> bool:
        """Hide the book for good unless a newer version is there; True if written."""

    @abc.abstractmethod
    def get(self, book_id: str) -> dict[str, Any] | None:
        """The visible book's public fields, or None."""

    @abc.abstractmethod
    def page(
        self, *, author: str | None, q: str | None, limit: int, start: dict[str, str] | None
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        """Up to `limit` visible books in title order after `start`, and the key to continue from."""


class DynamoDbReadModel(AbstractReadModel):
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table
        self._ser = TypeSerializer()
        self._de = TypeDeserializer()

    def upsert(self, book: Book) -> bool:
        return self._put_if_newer(read_model_item(book))

    def tombstone(self, book_id: str, version: int) -> bool:
        # No `kind`: the tombstone stays out of the sparse by_title index but keeps its version.
        return self._put_if_newer({"id": book_id, "version": version, "deleted": True})

    def get(self, book_id: str) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self._table, Key={"id": {"S": book_id}})
        item = response.get("Item")
        if item is None:
            return None
        decoded = self._decode(item)
        return None if decoded.get("deleted") else public_view(decoded)

    def page(
        self, *, author: str | None, q: str | None, limit: int, start: dict[str, str] | None
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": TITLE_INDEX,
            "KeyConditionExpression": "kind = :kind",
            "ExpressionAttributeValues": {":kind": {"S": KIND}},
        }
        filters = []
        if author:
            filters.append("contains(author_keys, :author)")
            request["ExpressionAttributeValues"][":author"] = {"S": fold(author)}
        if q:
            filters.append("contains(search_text, :q)")
            request["ExpressionAttributeValues"][":q"] = {"S": fold(q)}
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        request["Limit"] = max(limit, FILTERED_PAGE_SIZE) if filters else limit
        found: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES_PER_LIST):
            if start is not None:
                request["ExclusiveStartKey"] = {k: {"S": v} for k, v in start.items()}
            response = self._client.query(**request)
            items = response.get("Items", [])
            more = "LastEvaluatedKey" in response
            for i, raw in enumerate(items):
                item = self._decode(raw)
                found.append(public_view(item))
                if len(found) == limit:
                    # Continue after the last item returned, not after the last one DynamoDB read.
                    has_more = more or i < len(items) - 1
                    return found, (_index_key(item) if has_more else None)
            if not more:
                return found, None
            start = {k: str(self._de.deserialize(v)) for k, v in response["LastEvaluatedKey"].items()}
        return found, start

    def _put_if_newer(self, item: dict[str, Any]) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item={k: self._ser.serialize(v) for k, v in item.items()},
                ConditionExpression="attribute_not_exists(id) OR version < :v",
                ExpressionAttributeValues={":v": {"N": str(item["version"])}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _decode(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: _plain(self._de.deserialize(v)) for k, v in item.items()}


def _index_key(item: dict[str, Any]) -> dict[str, str]:
    return {"id": str(item["id"]), "kind": KIND, "title_key": str(item["title_key"])}


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; every number we store is an integer."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
