"""The Book aggregate: the fields a client sets and the metadata the server keeps."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

# Fields a client may send, in the order responses list them.
CLIENT_FIELDS = (
    "title",
    "subtitle",
    "authors",
    "isbn",
    "published_year",
    "language",
    "page_count",
    "description",
    "tags",
)
REQUIRED_FIELDS = ("title", "authors", "isbn")
# Fields only the server sets; a request that carries one is rejected.
SERVER_FIELDS = ("id", "version", "created_at", "updated_at", "created_by")


@dataclass(frozen=True)
class BookFields:
    """What a client describes about a book, already validated and normalised."""

    title: str
    authors: tuple[str, ...]
    isbn: str
    subtitle: str | None = None
    published_year: int | None = None
    language: str | None = None
    page_count: int | None = None
    description: str | None = None
    tags: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields in CLIENT_FIELDS order; absent optional fields are left out."""
        raw = asdict(self)
        out: dict[str, Any] = {}
        for name in CLIENT_FIELDS:
            value = raw[name]
            if value is None:
                continue
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BookFields:
        """Rebuild from trusted storage (already validated when written)."""
        tags = data.get("tags")
        return cls(
            title=str(data["title"]),
            authors=tuple(str(a) for a in data["authors"]),
            isbn=str(data["isbn"]),
            subtitle=_opt_str(data.get("subtitle")),
            published_year=_opt_int(data.get("published_year")),
            language=_opt_str(data.get("language")),
            page_count=_opt_int(data.get("page_count")),
            description=_opt_str(data.get("description")),
            tags=None if tags is None else tuple(str(t) for t in tags),
        )


@dataclass(frozen=True)
class Book:
    """A catalogued book at one version."""

    id: str
    fields: BookFields
    version: int
    created_at: str
    updated_at: str
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.fields.to_dict(),
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "created_by": self.created_by,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Book:
        return cls(
            id=str(data["id"]),
            fields=BookFields.from_dict(data),
            version=int(data["version"]),
            created_at=str(data["created_at"]),
            updated_at=str(data["updated_at"]),
            created_by=str(data["created_by"]),
        )

    def revised(self, fields: BookFields, at: str) -> Book:
        """The next version of this book with new fields."""
        return replace(self, fields=fields, version=self.version + 1, updated_at=at)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)
