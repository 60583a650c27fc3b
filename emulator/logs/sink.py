"""The contract for writing log lines to CloudWatch Logs without blocking the caller."""

from __future__ import annotations

from typing import Protocol


class LogSink(Protocol):
    """Queue a log event for (group, stream); creates group/stream when missing. Never blocks."""

    def put(self, group: str, stream: str, message: str, timestamp_ms: int | None = None) -> None: ...
