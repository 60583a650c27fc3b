"""Terminal-summary sections a suite adds, shown once by the main process, with or without xdist workers."""

from __future__ import annotations

# title -> lines; a worker hands its sections to the controller (tests/conftest.py), which prints them all.
SECTIONS: dict[str, list[str]] = {}


def add_section(title: str, lines: list[str]) -> None:
    SECTIONS.setdefault(title, []).extend(lines)
