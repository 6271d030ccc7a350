"""The overview's numbers per finished local day, kept in the database (`overview_days`, 0011):
shared by every process, kept across restarts, so a year's overview reads 365 small rows
instead of scanning a million inquiries.

A finished day is computed once (all the missing days of a request in one range scan) with a
HyperLogLog sketch of who asked that day; the people who asked in a period are the union of
the days' sketches (about 2 % off on thousands of people, exact on a handful). A day is
recomputed while it is recent (until two days after it ended, at most every `ttl` seconds: late
feedback); after that its numbers stand, as a printed report would (a worker's later /xoa
removes their messages from the log, not from these totals, which hold no personal data).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Float, Integer, cast, delete, func, insert, select

from bot.admin.daycache import DayCache, DayRows
from bot.admin.filters import LogFilter
from bot.admin.models import OverviewCount, OverviewDay
from bot.admin.texts import local_midnight
from bot.store.models import Inquiry, utcnow
from bot.store.store import Store

REGISTER_BITS = 11  # 2,048 registers: ±2.3 % standard error
REGISTERS = 1 << REGISTER_BITS
# Days stored under another way of sketching (1: every database hashed ids here) are not mixed in.
SKETCHES = 2
SETTLED_AFTER = dt.timedelta(days=2)  # after the day ended: its numbers no longer change
DEFAULT_TTL_SECONDS = 15 * 60
LIVE_SECONDS = 30  # the dashboard reuses today's numbers this long (None here: always counted)


# --- who asked: a HyperLogLog sketch of user ids --------------------------------------------


def sketch(user_ids: Iterable[str]) -> bytes:
    """The registers of a HyperLogLog sketch of these user ids."""
    registers = bytearray(REGISTERS)
    rest_bits = 64 - REGISTER_BITS
    for user in user_ids:
        h = int.from_bytes(hashlib.blake2b(user.encode(), digest_size=8).digest(), "big")
        index, rest = h >> rest_bits, h & ((1 << rest_bits) - 1)
        rank = rest_bits - rest.bit_length() + 1
        if rank > registers[index]:
            registers[index] = rank
    return bytes(registers)


def union(sketches: Sequence[bytes]) -> bytes:
    """The sketch of everyone in any of the sketches."""
    usable = [s for s in sketches if len(s) == REGISTERS]
    if not usable:
        return bytes(REGISTERS)
    import numpy as np  # the dashboard's overview only; serving does without

    stacked = np.frombuffer(b"".join(usable), dtype=np.uint8).reshape(len(usable), REGISTERS)
    return bytes(stacked.max(axis=0).tobytes())


def estimate(registers: bytes) -> int:
    """How many distinct ids a sketch holds (linear counting while few, as HyperLogLog proposes)."""
    m = len(registers)
    if not m:
        return 0
    zeros = registers.count(0)
    raw = (0.7213 / (1 + 1.079 / m)) * m * m / sum(2.0**-r for r in registers)
    if raw <= 2.5 * m and zeros:
        return round(m * math.log(m / zeros))
    return round(raw)


# --- the stored days ----------------------------------------------------------------------------


def filter_key(f: LogFilter) -> str:
    """The stored days' key of a filter without its dates."""
    params = sorted((k, v) for k, v in f.query().items() if k not in ("start", "end"))
    return hashlib.sha256(json.dumps([SKETCHES, params]).encode()).hexdigest()


Sums = list[int]  # inquiries, questions, answered, 👍, 👎 (breakdown.counts)
DIMS = ("topic", "channel", "province", "campaign", "entry", "warning")


def _value(value: str | None) -> str:
    return (value or "")[:96]


def count_rows(day: dt.date, rows: DayRows) -> dict[tuple[str, str], Sums]:
    """A day's rows by dimension and value, as `overview_counts` keeps them."""
    out: dict[tuple[str, str], Sums] = {}

    def add(dim: str, value: str | None, counts: Sequence[int]) -> None:
        acc = out.setdefault((dim, _value(value)), [0, 0, 0, 0, 0])
        for i, v in enumerate(counts):
            acc[i] += v

    for topic, counts in rows.topics:
        add("topic", topic, counts)
    for channel, province, campaign, counts in rows.places:
        add("channel", channel, counts)
        add("province", province, counts)
        add("campaign", campaign, counts)
    for entry, n in rows.entries:
        add("entry", entry, (n, 0, 0, 0, 0))
    if rows.warnings:
        add("warning", "", (rows.warnings, 0, 0, 0, 0))
    return out


@dataclass(slots=True)
class Period:
    """Finished days' numbers added up by the database: each dimension's values over the period,
    the topics of each day (the charts), warnings per day, and the days' sketches of who asked."""

    dims: dict[str, dict[str | None, Sums]] = field(default_factory=dict)
    topic_days: list[tuple[str, str, Sums]] = field(default_factory=list)  # (day, topic, sums)
    warning_days: dict[str, int] = field(default_factory=dict)
    sketches: list[bytes] = field(default_factory=list)


class DaySummaries:
    """Finished days' overview numbers in the database, by filter key and local day."""

    def __init__(self, store: Store, ttl_seconds: float = DEFAULT_TTL_SECONDS, live: DayCache | None = None) -> None:
        self.store = store
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self.live = live  # today's rows, kept briefly (the dashboard: LIVE_SECONDS); None: always counted

    def fresh(self, day: dt.date, computed_at: dt.datetime, now: dt.datetime) -> bool:
        """Settled (computed well after the day ended), or recomputed lately."""
        settled = computed_at >= local_midnight(day + dt.timedelta(days=1)) + SETTLED_AFTER
        return settled or now - computed_at < self.ttl

    async def kept(self, key: str, start: dt.date, end: dt.date) -> set[dt.date]:
        """The days of [start, end] stored and still good to use."""
        return set((await self._kept(key, start, end))[0])

    async def _kept(self, key: str, start: dt.date, end: dt.date) -> tuple[list[dt.date], dt.datetime | None]:
        """The good stored days of [start, end], and when the last of the stored days was computed."""
        now = utcnow()
        query = select(OverviewDay.day, OverviewDay.computed_at).where(
            OverviewDay.key == key, OverviewDay.day >= start, OverviewDay.day <= end
        )
        async with self.store.sessions() as session:
            rows = [(day, _utc(at)) for day, at in (await session.execute(query)).all()]
        latest = max((at for _d, at in rows), default=None)
        return [day for day, at in rows if self.fresh(day, at, now)], latest

    async def save(self, key: str, computed: dict[dt.date, DayRows]) -> None:
        """Store freshly computed days (replacing what was there)."""
        if not computed:
            return
        now, days = utcnow(), list(computed)
        for memo in [m for m in _PERIODS if m[0] == self.store.url and m[1] == key]:
            del _PERIODS[memo]  # sums over these days are stale now
        counts = [
            {"key": key, "day": d, "dim": dim, "value": value, "n": n, "q": q, "a": a, "up": up, "down": down}
            for d, rows in computed.items()
            for (dim, value), (n, q, a, up, down) in count_rows(d, rows).items()
        ]
        async with self.store.sessions.begin() as session:
            for table in (OverviewDay, OverviewCount):
                await session.execute(delete(table).where(table.key == key, table.day.in_(days)))
            session.add_all(
                OverviewDay(key=key, day=d, users=r.users or bytes(REGISTERS), computed_at=now)
                for d, r in computed.items()
            )
            if counts:
                await session.execute(insert(OverviewCount), counts)

    async def period(self, key: str, start: dt.date, end: dt.date) -> Period:
        """The stored days of [start, end] added up. The dashboard (`live` set) keeps the sum while
        the stored days are the same ones, computed at the same times (one small read of the
        days' dates checks it): another process storing a day changes them, a minute passing does not."""
        days, latest = await self._kept(key, start, end)
        stamp = (len(days), latest)
        memo = (self.store.url, key, start, end)
        kept = _PERIODS.get(memo)
        if self.live is not None and kept is not None and kept[0] == stamp:
            return kept[1]
        found = await self._period(key, start, end)
        if len(_PERIODS) >= 64:
            _PERIODS.clear()
        _PERIODS[memo] = (stamp, found)
        return found

    async def _period(self, key: str, start: dt.date, end: dt.date) -> Period:
        """The stored days of [start, end] added up (four small queries)."""
        c = OverviewCount
        span = (c.key == key, c.day >= start, c.day <= end)
        sums = (func.sum(c.n), func.sum(c.q), func.sum(c.a), func.sum(c.up), func.sum(c.down))
        found = Period()
        async with self.store.sessions() as session:
            for dim, value, *values in (
                await session.execute(select(c.dim, c.value, *sums).where(*span).group_by(c.dim, c.value))
            ).all():
                found.dims.setdefault(str(dim), {})[str(value) or None] = [int(v or 0) for v in values]
            topics = select(c.day, c.value, c.n, c.q, c.a, c.up, c.down).where(*span, c.dim == "topic")
            for day, topic, *values in (await session.execute(topics)).all():
                found.topic_days.append((day.isoformat(), str(topic), [int(v) for v in values]))
            warned = select(c.day, c.n).where(*span, c.dim == "warning")
            found.warning_days = {day.isoformat(): int(n) for day, n in (await session.execute(warned)).all()}
            users = select(OverviewDay.users).where(
                OverviewDay.key == key, OverviewDay.day >= start, OverviewDay.day <= end
            )
            found.sketches = [bytes(u) for u in (await session.execute(users)).scalars()]
        return found


_PERIODS: dict[tuple[str, str, dt.date, dt.date], tuple[tuple[int, dt.datetime | None], Period]] = {}


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


async def day_users(store: Store, f: LogFilter, day_of: Any) -> dict[str, bytes]:
    """A sketch of who asked, for each local day of the filter's dates: on PostgreSQL built by the
    database (a year of a million inquiries in about a second), elsewhere here from the ids."""
    if store.engine.dialect.name == "postgresql":
        return await _sql_sketches(store, f, day_of)
    query = select(day_of, Inquiry.user_id).where(*f.conditions()).group_by(day_of, Inquiry.user_id)
    people: dict[str, list[str]] = {}
    async with store.sessions() as session:
        for day, user in (await session.execute(query)).all():
            people.setdefault(str(day), []).append(str(user))
    return {d: sketch(users) for d, users in people.items()}


REST_MASK = (1 << (64 - REGISTER_BITS)) - 1


async def _sql_sketches(store: Store, f: LogFilter, day_of: Any) -> dict[str, bytes]:
    """Each day's registers computed by PostgreSQL from a 64-bit hash of the user id (its own hash,
    not `sketch`'s: every stored day of one database is sketched the same way); only the
    registers come back (a couple of thousand numbers a day), not the day's people."""
    rest_bits = 64 - REGISTER_BITS
    h = func.hashtextextended(Inquiry.user_id, 0)
    hashed = select(day_of.label("day"), h.label("h")).where(*f.conditions()).subquery()
    index = ((hashed.c.h.op(">>")(rest_bits)).op("&")(REGISTERS - 1)).label("idx")
    rest = (hashed.c.h.op("&")(REST_MASK)).op("|")(1)
    log2 = func.floor(func.ln(cast(rest, Float)) / math.log(2))
    rank = func.max(rest_bits - cast(log2, Integer)).label("rank")
    registers = select(hashed.c.day, index, rank).group_by(hashed.c.day, index).subquery()
    query = select(registers.c.day, func.array_agg(registers.c.idx), func.array_agg(registers.c.rank)).group_by(
        registers.c.day
    )
    found: dict[str, bytes] = {}
    async with store.sessions() as session:
        for day, indexes, ranks in (await session.execute(query)).all():
            kept = bytearray(REGISTERS)
            for i, r in zip(indexes, ranks, strict=True):
                kept[int(i)] = max(0, min(255, int(r)))
            found[str(day)] = bytes(kept)
    return found
