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
from botocore.exceptions import ConnectionError as BotoConnectionError

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
    """LogSink: `put` only enqueues; a thread batches put_log_events per stream, creating missing streams.

    Groups are never created (Terraform owns them): events for a group that does not exist are dropped.
    """

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
        self._missing_groups: set[str] = set()
        self._unreachable = False

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
            # Sleep through the interval, then drain: a get() with a timeout per event woke this thread once
            # per log line, and each wake-up takes the GIL from the gateway's event loop.
            time.sleep(self._flush_interval)
            stop = False
            while len(batch) < MAX_BATCH_EVENTS:
                try:
                    item = self._queue.get_nowait()
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
                    if not self._create_stream(group, stream):
                        self._drop_for_missing_group(group, len(events))
                        return
                    self._client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
                self.shipped += len(events)
                self._missing_groups.discard(group)
                self._unreachable = False
                return
            except BotoConnectionError as exc:
                # moto is down: one line per outage; retrying would only hold the queue up.
                if not self._unreachable:
                    log.warning("control plane unreachable, dropping log events until it answers: %s", exc)
                self._unreachable = True
                break
            except (ClientError, BotoCoreError) as exc:
                log.warning(
                    "put_log_events to %s/%s failed (attempt %d): %s", group, stream, attempt + 1, exc
                )
            except Exception:
                log.exception("put_log_events to %s/%s failed (attempt %d)", group, stream, attempt + 1)
            time.sleep(0.2 * (attempt + 1))
        self.dropped += len(events)
        if not self._unreachable:
            log.error("dropped %d log events for %s/%s", len(events), group, stream)

    def _create_stream(self, group: str, stream: str) -> bool:
        """Create the stream in an existing group; False when the group itself does not exist.

        Lambda creates /aws/lambda/<fn> when the role allows logs:CreateLogGroup, but here Terraform owns
        every group: creating one would make its next apply fail (ResourceAlreadyExistsException), e.g.
        after moto restarted empty while functions were still logging.
        """
        try:
            self._client.create_log_stream(logGroupName=group, logStreamName=stream)
        except ClientError as exc:
            code = _error_code(exc)
            if code == "ResourceNotFoundException":
                return False
            if code != "ResourceAlreadyExistsException":
                raise
        return True

    def _drop_for_missing_group(self, group: str, count: int) -> None:
        self.dropped += count
        if group not in self._missing_groups:  # one line per group until it exists again
            log.warning("log group %s does not exist (Terraform creates it); dropping its events", group)
        self._missing_groups.add(group)


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
