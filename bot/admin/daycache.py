"""The overview's numbers per local day, kept in memory once a day has ended.

A finished day changes only through late feedback or a worker deleting their data, so the
overview reads the days it has seen from here (for `ttl`) and asks the database only for the
days it has not, and for today. Each process keeps its own copy.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

Counts = tuple[int, int, int, int, int]  # inquiries, questions, answered, 👍, 👎 (breakdown.counts)
DEFAULT_TTL_SECONDS = 15 * 60
MAX_DAYS_KEPT = 20_000  # (filter, day) pairs; the oldest go first


@dataclass(frozen=True, slots=True)
class DayRows:
    """One local day's overview numbers under one filter."""

    topics: tuple[tuple[str | None, Counts], ...] = ()
    places: tuple[tuple[str | None, str | None, str | None, Counts], ...] = ()  # channel, province, campaign
    entries: tuple[tuple[str, int], ...] = ()  # answered entries and how often
    warnings: int = 0
    users: bytes = b""  # a HyperLogLog sketch of who asked (bot/admin/rollup.py), when kept


class DayCache:
    """Finished days' rows by (filter key, ISO day), each for `ttl_seconds`."""

    def __init__(
        self,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_items: int = MAX_DAYS_KEPT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_items = max_items
        self._clock = clock
        self._items: OrderedDict[tuple[Hashable, str], tuple[float, DayRows]] = OrderedDict()

    def get(self, key: Hashable, day: str) -> DayRows | None:
        found = self._items.get((key, day))
        if found is None:
            return None
        stored_at, rows = found
        if self._clock() - stored_at > self.ttl_seconds:
            del self._items[(key, day)]
            return None
        return rows

    def put(self, key: Hashable, day: str, rows: DayRows) -> None:
        self._items[(key, day)] = (self._clock(), rows)
        self._items.move_to_end((key, day))
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)
