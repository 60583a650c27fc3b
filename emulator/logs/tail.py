"""`python -m emulator logs <fn>`: print (and follow) a function's CloudWatch log events."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str, now: float | None = None) -> int:
    """Epoch ms for --since: a duration ago ("10m", "2h", "30s", "1d") or an ISO 8601 timestamp."""
    now = time.time() if now is None else now
    match = _DURATION.match(value.strip())
    if match:
        return int((now - int(match.group(1)) * _UNIT_SECONDS[match.group(2)]) * 1000)
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since: expected a duration like 10m/2h/1d or an ISO timestamp, got {value!r}"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return int(stamp.timestamp() * 1000)


def format_event(event: dict[str, Any]) -> str:
    """One line per event, like `aws logs tail`: timestamp, stream, message."""
    stamp = datetime.fromtimestamp(event["timestamp"] / 1000, UTC).isoformat(timespec="milliseconds")
    return f"{stamp} {event.get('logStreamName', '')} {event['message'].rstrip()}\n"


def fetch_events(client: Any, group: str, start_ms: int) -> Iterator[dict[str, Any]]:
    """All events of the group from start_ms on (following nextToken)."""
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms, "interleaved": True}
    while True:
        page = client.filter_log_events(**kwargs)
        yield from page.get("events", [])
        token = page.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            return
        kwargs["nextToken"] = token


def tail(
    client: Any,
    function: str,
    *,
    since_ms: int,
    follow: bool,
    write: Callable[[str], object] = sys.stdout.write,
    poll_seconds: float = 1.0,
    max_polls: int | None = None,
) -> int:
    """Write the function's log events; with follow, keep polling for new ones. Returns an exit code."""
    group = f"/aws/lambda/{function}"
    seen: set[str] = set()
    start = since_ms
    polls = 0
    while True:
        try:
            events = sorted(
                fetch_events(client, group, start), key=lambda e: (e["timestamp"], e.get("ingestionTime", 0))
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            if not follow:
                sys.stderr.write(f"log group {group} does not exist (yet)\n")
                return 1
            events = []
        for event in events:
            key = (
                event.get("eventId")
                or f"{event.get('logStreamName')}:{event['timestamp']}:{event['message']}"
            )
            if key in seen:
                continue
            seen.add(key)
            write(format_event(event))
            start = max(start, int(event["timestamp"]))
        if hasattr(sys.stdout, "flush"):
            sys.stdout.flush()
        polls += 1
        if not follow or (max_polls is not None and polls >= max_polls):
            return 0
        time.sleep(poll_seconds)
