"""What every read model of the dashboard starts from: the store (and the overview's kept days)."""

from __future__ import annotations

from bot.admin.daycache import DayCache
from bot.admin.rollup import DaySummaries
from bot.store.store import Store


class Reads:
    """The store the dashboard reads, the finished days kept in memory and in the database."""

    def __init__(self, store: Store, days: DayCache | None = None, summaries: DaySummaries | None = None) -> None:
        self.store = store
        self.days = days  # finished days' overview numbers (bot/admin/daycache.py), if kept
        self.summaries = summaries  # and in the database, shared by processes (bot/admin/rollup.py)

    @property
    def dialect(self) -> str:
        return self.store.engine.dialect.name
