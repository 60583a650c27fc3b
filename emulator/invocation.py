"""The contract between callers of Lambda (gateway, invoke API, pollers) and the Lambda runtime."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class InvocationStatus(enum.Enum):
    """How an invocation ended."""

    OK = "ok"  # the function returned a response (payload is its bytes)
    FUNCTION_ERROR = "function_error"  # the handler raised, or the runtime crashed (payload: error JSON)
    TIMEOUT = "timeout"  # the configured timeout expired; the environment was killed
    NOT_FOUND = "not_found"  # no such function in the control plane
    THROTTLED = "throttled"  # no environment could be had within the concurrency limit


@dataclass(frozen=True)
class InvocationResult:
    """Outcome of one synchronous (RequestResponse) invocation."""

    status: InvocationStatus
    payload: bytes
    request_id: str
    # "Unhandled" for function errors (as in X-Amz-Function-Error), else None.
    function_error: str | None = None


class Invoker(Protocol):
    """Invokes a function by name or (optionally qualified) ARN, synchronously."""

    async def invoke(self, function: str, payload: bytes) -> InvocationResult: ...
