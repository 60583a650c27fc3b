"""A queue-backed LogSink that ships batches to CloudWatch Logs from a background thread."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__name__)

# CloudWatch Logs PutLogEvents limits: 10,000 events and 1,048,576 bytes (message + 26 bytes each).
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_MESSAGE_BYTES = 256 * 1024 - EVENT_OVERHEAD_BYTES

_Event = tuple[str, str, int, str]  # group, stream, timestamp ms, message


def _error_code(exc: Exception) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) if isinstance(exc, ClientError) else ""


class CloudWatchLogShipper:
    """LogSink: `put` only enqueues; a thread batches put_log_events per stream, creating what is missing."""

    def __init__(self, client_factory: Callable[[], Any], flush_interval: float = 0.1) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self._flush_interval = flush_interval
        self._queue: queue.SimpleQueue[_Event | None] = queue.SimpleQueue()
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.shipped = 0
        self.dropped = 0

    def put(self, group: str, stream: str, message: str, timestamp_ms: int | None = None) -> None:
        """Queue one event; never blocks, never raises."""
        stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        with self._lock:
            self._pending += 1
            self._idle.clear()
        self._queue.put((group, stream, stamp, message or " "))
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="log-shipper", daemon=True)
                    self._thread.start()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far has been shipped (or dropped)."""
        return self._idle.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Ship what is queued, then stop the thread."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + self._flush_interval
            stop = False
            while len(batch) < MAX_BATCH_EVENTS:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._ship(batch)
            with self._lock:
                self._pending -= len(batch)
                if self._pending == 0:
                    self._idle.set()
            if stop:
                return

    def _ship(self, batch: list[_Event]) -> None:
        by_stream: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for group, stream, stamp, message in batch:
            by_stream[(group, stream)].append({"timestamp": stamp, "message": _truncate(message)})
        for (group, stream), events in by_stream.items():
            events.sort(key=lambda event: event["timestamp"])  # CloudWatch wants chronological batches
            for chunk in _chunks(events):
                self._put(group, stream, chunk)

    def _put(self, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        for attempt in range(3):
            try:
                if self._client is None:
                    self._client = self._client_factory()
                try:
                    self._client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
                except ClientError as exc:
                    if _error_code(exc) != "ResourceNotFoundException":
                        raise
                    self._create(group, stream)
                    self._client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
                self.shipped += len(events)
                return
            except (ClientError, BotoCoreError) as exc:
                log.warning(
                    "put_log_events to %s/%s failed (attempt %d): %s", group, stream, attempt + 1, exc
                )
            except Exception:
                log.exception("put_log_events to %s/%s failed (attempt %d)", group, stream, attempt + 1)
            time.sleep(0.2 * (attempt + 1))
        self.dropped += len(events)
        log.error("dropped %d log events for %s/%s", len(events), group, stream)

    def _create(self, group: str, stream: str) -> None:
        for call, kwargs in (
            (self._client.create_log_group, {"logGroupName": group}),
            (self._client.create_log_stream, {"logGroupName": group, "logStreamName": stream}),
        ):
            try:
                call(**kwargs)
            except ClientError as exc:
                if _error_code(exc) != "ResourceAlreadyExistsException":
                    raise


def _truncate(message: str) -> str:
    encoded = message.encode("utf-8")
    if len(encoded) <= MAX_MESSAGE_BYTES:
        return message
    return encoded[:MAX_MESSAGE_BYTES].decode("utf-8", "ignore")


def _chunks(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for event in events:
        event_size = len(event["message"].encode("utf-8")) + EVENT_OVERHEAD_BYTES
        if chunks[-1] and (len(chunks[-1]) >= MAX_BATCH_EVENTS or size + event_size > MAX_BATCH_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(event)
        size += event_size
    return chunks
