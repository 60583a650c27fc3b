"""The size DynamoDB counts for an item, from the plain Python values the adapters serialise."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

# "The maximum item size in DynamoDB is 400 KB, which includes both attribute name binary length
# (UTF-8 length) and attribute value lengths (again binary length)."
MAX_ITEM_BYTES = 400 * 1024


def item_size(item: Mapping[str, Any]) -> int:
    """Bytes DynamoDB counts for the item: each attribute's UTF-8 name plus its value."""
    return sum(_utf8(name) + value_size(value) for name, value in item.items())


def value_size(value: Any) -> int:
    """Per the DynamoDB Developer Guide, "DynamoDB item sizes and formats" (CapacityUnitCalculations)."""
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, str):
        return _utf8(value)
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, int | Decimal):
        return _number_size(value)
    if isinstance(value, Mapping):
        # 3 bytes for the map, 1 per element, plus each element's name and value.
        return 3 + sum(1 + _utf8(k) + value_size(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(1 + value_size(v) for v in value)
    if isinstance(value, set | frozenset):
        return sum(value_size(v) for v in value)
    raise TypeError(f"no DynamoDB size for {type(value).__name__}")


def _number_size(value: int | Decimal) -> int:
    # "1 byte per two significant digits, plus 1 byte"; leading and trailing zeroes do not count.
    digits = str(abs(Decimal(value)).normalize()).split("E")[0].replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))
