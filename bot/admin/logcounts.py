"""Counts over the inquiry log: per value of a dimension, per local day (the overview's days),
the most answered entries, new users and handoff times (the reports)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from bot.admin.breakdown import Breakdown, breakdown_of, counts, ints, measures
from bot.admin.daycache import Counts, DayRows
from bot.admin.filters import LogFilter, local_day
from bot.admin.reads import Reads
from bot.admin.texts import as_utc
from bot.store.models import Handoff, Inquiry, User


class LogCounts(Reads):
    """Counts for the overview and the reports."""

    async def breakdown(self, dimension: Any, conditions: Sequence[ColumnElement[bool]]) -> list[Breakdown]:
        """Counts per value of `dimension` (a column or expression), most inquiries first."""
        query = select(dimension, *measures()).where(*conditions).group_by(dimension)
        async with self.store.sessions() as session:
            rows = (await session.execute(query)).all()
        found = [breakdown_of(row[0], row[1:]) for row in rows]
        return sorted(found, key=lambda b: (-b.inquiries, b.key or ""))

    async def total(self, conditions: Sequence[ColumnElement[bool]]) -> Breakdown:
        async with self.store.sessions() as session:
            row = (await session.execute(select(*measures()).where(*conditions))).one()
        return breakdown_of(None, row)

    def day_of(self) -> ColumnElement[Any]:
        return local_day(Inquiry.created_at, self.dialect)

    def _range_scan(self, query: Select[Any], f: LogFilter) -> Select[Any]:
        """On SQLite, read a date range through the created_at index (its planner would rather
        walk a (column, id) index to skip a sort, and so read the whole table)."""
        if self.dialect == "sqlite" and (f.start is not None or f.end is not None):
            return query.with_hint(Inquiry, "INDEXED BY ix_inquiries_created_at", "sqlite")
        return query

    async def _day_rows(self, f: LogFilter) -> dict[str, DayRows]:
        """The overview's numbers for each local day of the filter's dates, in four scans."""
        where = f.conditions()
        day = self.day_of()
        measured = counts()
        places = (Inquiry.channel, Inquiry.province, Inquiry.campaign)
        queries = (
            select(day, Inquiry.topic, *measured).where(*where).group_by(day, Inquiry.topic),
            select(day, *places, *measured).where(*where).group_by(day, *places),
            select(day, Inquiry.entry_id, func.count())
            .where(*where, Inquiry.entry_id.is_not(None), Inquiry.answered.is_(True))
            .group_by(day, Inquiry.entry_id),
            select(day, func.count()).where(*where, Inquiry.warning.is_(True)).group_by(day),
        )
        async with self.store.sessions() as session:
            topic_rows, place_rows, entry_rows, warning_rows = [
                (await session.execute(self._range_scan(q, f))).all() for q in queries
            ]
        topics: dict[str, list[tuple[str | None, Counts]]] = {}
        for d, topic, *values in topic_rows:
            topics.setdefault(str(d), []).append((topic, ints(values)))
        placed: dict[str, list[tuple[str | None, str | None, str | None, Counts]]] = {}
        for d, channel, province, campaign, *values in place_rows:
            placed.setdefault(str(d), []).append((channel, province, campaign, ints(values)))
        entries: dict[str, list[tuple[str, int]]] = {}
        for d, entry, n in entry_rows:
            entries.setdefault(str(d), []).append((str(entry), int(n)))
        warned = {str(d): int(n) for d, n in warning_rows}
        return {
            d: DayRows(tuple(topics.get(d, ())), tuple(placed.get(d, ())), tuple(entries.get(d, ())), warned.get(d, 0))
            for d in set(topics) | set(placed) | set(entries) | set(warned)
        }

    async def top_entries(self, conditions: Sequence[ColumnElement[bool]], limit: int = 20) -> list[tuple[str, int]]:
        """The entries answered most often."""
        query = (
            select(Inquiry.entry_id, func.count())
            .where(*conditions, Inquiry.entry_id.is_not(None), Inquiry.answered.is_(True))
            .group_by(Inquiry.entry_id)
            .order_by(func.count().desc(), Inquiry.entry_id)
            .limit(limit)
        )
        async with self.store.sessions() as session:
            return [(str(e), int(n)) for e, n in (await session.execute(query)).all()]

    async def new_users(self, since: dt.datetime, until: dt.datetime, province: str | None = None) -> int:
        query = select(func.count()).where(User.created_at >= since, User.created_at < until)
        if province is not None:
            query = query.where(User.province == province)
        async with self.store.sessions() as session:
            return int((await session.execute(query)).scalar_one())

    async def handoff_times(
        self, since: dt.datetime, until: dt.datetime, province: str | None = None
    ) -> list[tuple[str, dt.datetime, dt.datetime | None]]:
        """(status, asked at, answered at) of the handoffs asked for in a period."""
        query = (
            select(Handoff.status, Handoff.created_at, Handoff.answered_at)
            .join(Inquiry, Inquiry.id == Handoff.inquiry_id)
            .where(Handoff.created_at >= since, Handoff.created_at < until)
        )
        if province is not None:
            query = query.where(Inquiry.province == province)
        async with self.store.sessions() as session:
            rows = (await session.execute(query)).all()
        return [(str(st), as_utc(a), as_utc(b) if b is not None else None) for st, a, b in rows]
