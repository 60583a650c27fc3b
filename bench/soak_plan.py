"""The soak's plan: an open-loop schedule of write slots, and which write each slot fires."""

from __future__ import annotations

import enum
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from books.domain.isbn import isbn13_check_digit

# Later than this after its slot counts as a late start (the pool was full, or the box was busy).
LATE_AFTER_S = 0.05


class OpenLoop:
    """Slot i is due at start + i / rate, whatever the earlier slots' latency (no coordinated omission)."""

    def __init__(self, rate: float, start: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate, self.start = rate, start

    def due(self, slot: int) -> float:
        return self.start + slot / self.rate

    @staticmethod
    def is_late(due: float, started: float) -> bool:
        return started - due > LATE_AFTER_S


class Kind(enum.Enum):
    POST = "POST"
    PATCH = "PATCH"
    DELETE = "DELETE"


DEFAULT_MIX: Mapping[Kind, float] = {Kind.POST: 0.5, Kind.PATCH: 0.35, Kind.DELETE: 0.15}


@dataclass(frozen=True)
class Write:
    """One scheduled write; PATCH and DELETE name a book the bench created and the ETag it last saw."""

    slot: int
    kind: Kind
    book_id: str | None = None
    etag: str | None = None


class WriteMix:
    """Picks each slot's write by weight; a PATCH or DELETE takes an idle book, so no two writes race on one.

    A book is idle once its POST has been seen by a read (or its PATCH answered) and `ready` was called; it is
    checked out while a write on it is in flight, and gone after a DELETE or an unexpected answer (its
    version is then unknown). With no idle book, the slot is a POST. Thread-safe: slots are picked by the
    scheduler, books come back from the workers.
    """

    def __init__(self, mix: Mapping[Kind, float] = DEFAULT_MIX, seed: int = 0) -> None:
        if not mix.get(Kind.POST):
            raise ValueError("the mix needs POSTs, or there is nothing to PATCH or DELETE")
        self._kinds = list(mix)
        self._weights = [mix[kind] for kind in self._kinds]
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._idle: list[str] = []
        self._etags: dict[str, str] = {}

    def next(self, slot: int) -> Write:
        with self._lock:
            kind = self._rng.choices(self._kinds, self._weights)[0]
            if kind is Kind.POST or not self._idle:
                return Write(slot, Kind.POST)
            book_id = self._take(self._rng.randrange(len(self._idle)))
            return Write(slot, kind, book_id, self._etags.pop(book_id))

    def ready(self, book_id: str, etag: str) -> None:
        """The book is idle again at version `etag` (after its POST was read back, or a PATCH answered)."""
        with self._lock:
            if book_id not in self._etags:
                self._etags[book_id] = etag
                self._idle.append(book_id)

    def sample(self) -> str | None:
        """An idle book to read, left idle."""
        with self._lock:
            return self._idle[self._rng.randrange(len(self._idle))] if self._idle else None

    @property
    def idle(self) -> int:
        with self._lock:
            return len(self._idle)

    def _take(self, index: int) -> str:
        # Swap with the last one: O(1) removal, order does not matter.
        self._idle[index], self._idle[-1] = self._idle[-1], self._idle[index]
        return self._idle.pop()


def isbn_for(run: int, n: int) -> str:
    """The n-th POST's ISBN-13 in run `run` (0-999): distinct for a million POSTs, so none is refused as taken."""
    if not (0 <= run < 1000 and 0 <= n < 1_000_000):
        raise ValueError("run must be 0-999 and n 0-999999")
    digits = f"978{run:03d}{n:06d}"
    return digits + isbn13_check_digit(digits)
