"""The dashboard's reads of announcements: each with its progress, and subscribers over time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from bot.announce.store import ANNOUNCEMENTS, DELIVERIES, SUBSCRIPTIONS
from bot.store.store import Store

LOCAL = dt.timezone(dt.timedelta(hours=7))  # the dashboard's days are Việt Nam's


@dataclass(frozen=True, slots=True)
class AnnouncementRow:
    """One announcement as the list shows it."""

    id: int
    text: str
    target: str
    target_value: str | None
    send_at: dt.datetime
    status: str
    created_by: str | None
    targets: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return sum(n for state, n in self.counts.items() if state != "pending")

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.targets) if self.targets else 0


async def announcement_rows(store: Store, limit: int = 100, only: int | None = None) -> list[AnnouncementRow]:
    """The newest announcements (or one), with their deliveries counted by state."""
    query = select(ANNOUNCEMENTS).order_by(ANNOUNCEMENTS.c.id.desc()).limit(limit)
    if only is not None:
        query = query.where(ANNOUNCEMENTS.c.id == only)
    async with store.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
        ids = [r["id"] for r in rows]
        counted = (
            await conn.execute(
                select(DELIVERIES.c.announcement_id, DELIVERIES.c.state, func.count())
                .where(DELIVERIES.c.announcement_id.in_(ids))
                .group_by(DELIVERIES.c.announcement_id, DELIVERIES.c.state)
            )
        ).all()
    counts: dict[int, dict[str, int]] = {}
    for announcement_id, state, n in counted:
        counts.setdefault(int(announcement_id), {})[str(state)] = int(n)
    keys = ("id", "text", "target", "target_value", "send_at", "status", "created_by", "targets")
    return [AnnouncementRow(**{k: r[k] for k in keys}, counts=counts.get(r["id"], {})) for r in rows]


@dataclass(frozen=True, slots=True)
class Subscribers:
    """Active subscribers per province at the end of each day, and how many stopped in the period."""

    days: list[dt.date]
    by_province: dict[str, list[int]]
    active: int
    stopped: int


async def subscribers_over_time(store: Store, days: int = 30, today: dt.date | None = None) -> Subscribers:
    """Active subscriptions by province at the end of each of the last `days` days (Việt Nam time)."""
    today = today or dt.datetime.now(LOCAL).date()
    span = [today - dt.timedelta(days=days - 1 - i) for i in range(days)]
    query = select(SUBSCRIPTIONS.c.province, SUBSCRIPTIONS.c.created_at, SUBSCRIPTIONS.c.cancelled_at)
    async with store.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    ends = [dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), LOCAL) for d in span]
    by_province: dict[str, list[int]] = {}
    active = stopped = 0
    start = dt.datetime.combine(span[0], dt.time(), LOCAL)
    for province, created, cancelled in rows:
        created, cancelled = _aware(created), _aware(cancelled) if cancelled else None
        series = by_province.setdefault(province or "", [0] * days)
        for i, end in enumerate(ends):
            if created < end and (cancelled is None or cancelled >= end):
                series[i] += 1
        active += cancelled is None
        stopped += cancelled is not None and cancelled >= start
    return Subscribers(span, by_province, active, stopped)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)  # SQLite gives naive UTC
