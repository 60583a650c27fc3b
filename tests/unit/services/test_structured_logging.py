"""The JSON log formatter: one parseable object per line, extras as fields, traces inside the line."""

from __future__ import annotations

import json
import logging

from books.structured_logging import JsonFormatter


def test_a_record_becomes_one_json_line_with_its_extra_fields() -> None:
    record = logging.LogRecord("books.http", logging.INFO, __file__, 1, "request %s", ("done",), None)
    record.__dict__.update({"route": "GET /v1/catalog/books", "status": 200, "duration_ms": 1.5})
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "request done" and parsed["level"] == "INFO"
    assert (
        parsed["route"] == "GET /v1/catalog/books"
        and parsed["status"] == 200
        and parsed["duration_ms"] == 1.5
    )


def test_an_exception_trace_stays_inside_the_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("books.http", logging.ERROR, __file__, 1, "request", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["exception"]
