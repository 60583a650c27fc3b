"""TransactWriteItems in O(items touched): check first, apply with an item-level undo log, honour tokens."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# AWS: "A client request token is valid for 10 minutes after the first request that uses it is completed."
TOKEN_WINDOW_SECONDS = 600.0
_OPS = ("ConditionCheck", "Put", "Delete", "Update")

Reason = tuple[str, str, dict[str, Any] | None] | tuple[None, None, None]


@dataclass
class _Op:
    kind: str
    spec: dict[str, Any]
    table: Any
    hash_key: Any
    range_key: Any


@dataclass
class _Undo:
    table: Any
    hash_key: Any
    range_key: Any
    before: Any  # the Item as it was, or None when the operation created it


def stored(table: Any, hash_key: Any, range_key: Any) -> Any:
    """The stored Item or None; unlike Table.get_item, a miss leaves no empty partition behind."""
    if range_key is None:
        return table.items.get(hash_key)
    return table.items.get(hash_key, {}).get(range_key)


def _checked(backend: Any, transact_items: list[dict[str, Any]]) -> tuple[list[_Op | None], list[Reason]]:
    """Every structural check and condition, exactly as moto orders them, without writing anything."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TransactWriteSingleOpException,
    )

    seen: set[tuple[str, str]] = set()
    ops: list[_Op | None] = []
    reasons: list[Reason] = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        old_image: dict[str, Any] | None = None
        try:
            kind, spec = next(iter(item.items()))
            if kind not in _OPS:
                raise ValueError("Unsupported transaction operation")
            table_name = spec["TableName"]
            if kind == "Put":
                table = backend.get_table(table_name)
                attrs = spec["Item"]
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = spec["Key"]
            unique = (str(table_name), str(dict(sorted(key.items()))))
            if unique in seen:
                raise MultipleTransactionsException()
            seen.add(unique)
            table = backend.get_table(table_name)
            hash_key, range_key = backend.get_keys_value(table, key)
            current = stored(table, hash_key, range_key)
            condition = spec.get("ConditionExpression")
            if condition is not None:
                condition_op = get_filter_expression(
                    condition, spec.get("ExpressionAttributeNames"), spec.get("ExpressionAttributeValues")
                )
                if not condition_op.expr(current):
                    if spec.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        old_image = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=old_image)
            ops.append(_Op(kind, spec, table, hash_key, range_key))
            reasons.append((None, None, None))
        except MockValidationException:
            raise  # a malformed request, or two operations on one item: ValidationException, nothing written
        except ConditionalCheckFailed as exc:
            ops.append(None)
            reasons.append(("ConditionalCheckFailed", str(exc.message), old_image))
        except Exception as exc:
            ops.append(None)
            reasons.append((type(exc).__name__, str(exc), None))
    return ops, reasons


def _apply(backend: Any, op: _Op) -> None:
    spec = op.spec
    condition = {
        "condition_expression": spec.get("ConditionExpression"),
        "expression_attribute_names": spec.get("ExpressionAttributeNames"),
        "expression_attribute_values": spec.get("ExpressionAttributeValues"),
    }
    if op.kind == "Put":
        backend.put_item(spec["TableName"], spec["Item"], **condition)
    elif op.kind == "Delete":
        backend.delete_item(spec["TableName"], spec["Key"], **condition)
    elif op.kind == "Update":
        backend.update_item(
            spec["TableName"], spec["Key"], update_expression=spec["UpdateExpression"], **condition
        )


def _roll_back(undo: list[_Undo], shard_ends: dict[int, tuple[Any, int]]) -> None:
    for entry in reversed(undo):
        items = entry.table.items
        if entry.range_key is None:
            if entry.before is None:
                items.pop(entry.hash_key, None)
            else:
                items[entry.hash_key] = entry.before
        elif entry.before is None:
            partition = items.get(entry.hash_key)
            if partition is not None:
                partition.pop(entry.range_key, None)
                if not partition:
                    del items[entry.hash_key]
        else:
            items[entry.hash_key][entry.range_key] = entry.before
    for shard, end in shard_ends.values():
        # Sequence numbers index the shard: drop every record from the first one this transaction added.
        del shard.items[max(end - shard.starting_sequence_number, 0) :]


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto's TransactWriteItems, but each write costs O(items touched) instead of O(tables touched)."""
    from moto.dynamodb.exceptions import (
        MockValidationException,
        TooManyTransactionsException,
        TransactionCanceledException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    ops, reasons = _checked(self, transact_items)
    if any(code is not None for code, _, _ in reasons):
        # Nothing was written, so a reader never sees a state that did not commit.
        raise TransactionCanceledException(reasons)
    undo: list[_Undo] = []
    shard_ends: dict[int, tuple[Any, int]] = {}
    try:
        for index, op in enumerate(ops):
            assert op is not None
            shard = op.table.stream_shard
            if shard is not None and id(shard) not in shard_ends:
                shard_ends[id(shard)] = (shard, shard.starting_sequence_number + len(shard.items))
            before = stored(op.table, op.hash_key, op.range_key)
            # An update changes the stored Item in place; a put or delete replaces or removes it.
            undo.append(
                _Undo(
                    op.table,
                    op.hash_key,
                    op.range_key,
                    copy.deepcopy(before) if op.kind == "Update" else before,
                )
            )
            try:
                _apply(self, op)
            except MockValidationException:
                raise
            except Exception as exc:
                reasons[index] = (type(exc).__name__, str(exc), None)
    except BaseException:
        _roll_back(undo, shard_ends)
        raise
    if any(code is not None for code, _, _ in reasons):
        _roll_back(undo, shard_ends)
        raise TransactionCanceledException(reasons)


class _Tokens:
    """ClientRequestTokens of committed transactions, each with a digest of its request, for 10 minutes."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def _expire(self, now: float) -> None:
        while self._seen:
            token, (_, expires) = next(iter(self._seen.items()))
            if expires > now:
                return
            del self._seen[token]

    def replayed(self, token: str, digest: str, now: float) -> bool:
        """True for a replay of a committed request; raise on the same token with another request."""
        from moto.core.exceptions import JsonRESTError

        self._expire(now)
        seen = self._seen.get(token)
        if seen is None:
            return False
        if seen[0] != digest:
            raise JsonRESTError(
                "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                "DynamoDB rejected the request because you retried a request with a different payload "
                "but with an idempotent token that was already used.",
            )
        return True

    def remember(self, token: str, digest: str, now: float) -> None:
        self._seen[token] = (digest, now + TOKEN_WINDOW_SECONDS)

    def __len__(self) -> int:
        return len(self._seen)


def request_digest(body: dict[str, Any]) -> str:
    """What "the same request" means: every parameter but the token itself."""
    rest = {k: v for k, v in body.items() if k != "ClientRequestToken"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, default=repr).encode()).hexdigest()


def tokens_of(backend: Any) -> _Tokens:
    tokens = backend.__dict__.get("_controlplane_tokens")
    if tokens is None:
        tokens = backend.__dict__["_controlplane_tokens"] = _Tokens()
    return tokens


def _idempotent(handler: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    @functools.wraps(handler)
    def transact_write_items(self: Any) -> Any:
        from moto.core.responses import ActionResult

        token = self.body.get("ClientRequestToken")
        if not token:
            return handler(self)
        digest = request_digest(self.body)
        with lock:  # the check and the write are one step, so two replays cannot both write
            tokens = tokens_of(self.dynamodb_backend)
            if tokens.replayed(token, digest, time.monotonic()):
                return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
            result = handler(self)
            tokens.remember(token, digest, time.monotonic())
            return result

    return transact_write_items


def reviewed_functions() -> dict[str, Callable[..., Any]]:
    """The moto functions the undo log and token check rely on, by the name REVIEWED_SOURCES uses."""
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    return {
        "moto.dynamodb.models.table.Table.put_item": Table.put_item,
        "moto.dynamodb.models.table.Table.delete_item": Table.delete_item,
        "moto.dynamodb.responses.DynamoHandler.transact_write_items": DynamoHandler.transact_write_items,
    }


def apply(lock: threading.RLock) -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    DynamoHandler.transact_write_items = _idempotent(  # type: ignore[method-assign]
        DynamoHandler.transact_write_items, lock
    )
