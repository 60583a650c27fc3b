"""Refuse a book that any item it becomes (event, read model, idempotency record) cannot hold."""

from __future__ import annotations

from books.adapters.event_codec import event_to_item
from books.adapters.event_store import IdempotencyRecord, idempotency_item
from books.adapters.item_size import MAX_ITEM_BYTES, item_size
from books.adapters.read_model import read_model_item
from books.domain.errors import FieldError, InvalidRequest
from books.domain.events import Event


def ensure_storable(event: Event, remembered: tuple[str, IdempotencyRecord] | None = None) -> None:
    """Raise InvalidRequest naming the largest field when an item would pass MAX_ITEM_BYTES.

    The field limits keep every valid book far below the limit; this is the check that does not
    depend on those numbers staying right as the read model gains attributes.
    """
    # The read model is written later by the projector: a book it cannot hold must be refused now,
    # or the event is stored and its projection fails for good.
    sizes = {
        "event store item": item_size(event_to_item(event)),
        "read model item": item_size(read_model_item(event.book)),
    }
    if remembered is not None:
        sizes["idempotency record"] = item_size(idempotency_item(*remembered))
    over = {what: size for what, size in sizes.items() if size > MAX_ITEM_BYTES}
    if not over:
        return
    fields = event.book.fields.to_dict()
    largest = max(fields, key=lambda name: item_size({name: fields[name]}))
    items = " and ".join(f"{what} ({size} bytes)" for what, size in over.items())
    message = f"makes the book too large to store: its {items} would pass DynamoDB's {MAX_ITEM_BYTES}-byte item limit"
    raise InvalidRequest(f"invalid fields: {largest}", (FieldError(largest, message),))
