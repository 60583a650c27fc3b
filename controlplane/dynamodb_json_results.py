"""DynamoDB item operations answer in plain JSON: their results already are DynamoDB's wire documents."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from controlplane.dynamodb_stream_reads import _json_value
from controlplane.fingerprints import fingerprints

# moto 5.2.5. These operations return a DynamoResult (dynamo_to_dict of the item: attribute values in
# DynamoDB's JSON already, ConsumedCapacity and counts added as plain values) or, for TransactWriteItems,
# an ActionResult of such a dict. moto's generic serializer walks the botocore output shape over every
# attribute of every item to write the same document: 15% of the control plane's CPU under the soak
# bench. tests/unit/controlplane/test_dynamodb_json_results.py checks that both bodies are equal, case by case.
REVIEWED_SOURCES = {
    "moto.dynamodb.responses.DynamoResult.__init__": (
        "e2394775cd5ef6ad00a9de7afdea2b54f753ea2dfcb11ecabe1acc80497cda35"
    ),
    "moto.core.responses.BaseResponse.serialized": (
        "af486a0ef132716231d3a6484c32ae91a54b40fbc1d24fff01c78c813d251110"
    ),
}
PLAIN_JSON_OPERATIONS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "TransactWriteItems"}
)
CONTENT_TYPE = "application/x-amz-json-1.0"


def current_fingerprints() -> dict[str, str]:
    return fingerprints(REVIEWED_SOURCES)


@functools.cache
def _output_members(operation: str) -> frozenset[str]:
    """The output shape's top-level members: the serializer writes no other key (moto adds some)."""
    from moto.core.utils import get_service_model

    shape = get_service_model("dynamodb").operation_model(operation).output_shape
    return frozenset(shape.members) if shape is not None else frozenset()


def _without_none(value: Any) -> Any:
    """The serializer leaves out members whose value is None, at any depth."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def encode(operation: str, result: dict[str, Any]) -> str:
    members = _output_members(operation)
    return json.dumps(_without_none({k: v for k, v in result.items() if k in members}), default=_json_value)


def _plain(original: Callable[..., Any]) -> Callable[..., Any]:
    from moto.core.responses import ActionResult

    def serialized(self: Any, action_result: Any) -> Any:
        operation = self._get_action()
        if (
            isinstance(action_result, ActionResult)
            and isinstance(action_result.result, dict)
            and operation in PLAIN_JSON_OPERATIONS
        ):
            headers = {"Content-Type": CONTENT_TYPE, **self.response_headers}
            return 200, headers, encode(operation, action_result.result)
        return original(self, action_result)

    serialized.__wrapped__ = original  # type: ignore[attr-defined]
    return serialized


def install() -> None:
    from moto.dynamodb.responses import DynamoHandler

    DynamoHandler.serialized = _plain(DynamoHandler.serialized)  # type: ignore[method-assign]
