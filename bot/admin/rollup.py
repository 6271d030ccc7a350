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
from typing import Any

from sqlalchemy import delete, select

from bot.admin.daycache import DayRows
from bot.admin.filters import LogFilter
from bot.admin.models import OverviewDay
from bot.admin.texts import local_midnight
from bot.store.models import Inquiry, utcnow
from bot.store.store import Store

REGISTER_BITS = 11  # 2,048 registers: ±2.3 % standard error
REGISTERS = 1 << REGISTER_BITS
SETTLED_AFTER = dt.timedelta(days=2)  # after the day ended: its numbers no longer change
DEFAULT_TTL_SECONDS = 15 * 60


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
    return hashlib.sha256(json.dumps(params).encode()).hexdigest()


def _encode(rows: DayRows) -> dict[str, Any]:
    return {"topics": rows.topics, "places": rows.places, "entries": rows.entries, "warnings": rows.warnings}


def _decode(data: dict[str, Any], users: bytes) -> DayRows:
    return DayRows(
        topics=tuple((t, tuple(c)) for t, c in data.get("topics", [])),
        places=tuple((ch, p, ca, tuple(c)) for ch, p, ca, c in data.get("places", [])),
        entries=tuple((str(e), int(n)) for e, n in data.get("entries", [])),
        warnings=int(data.get("warnings", 0)),
        users=users,
    )


class DaySummaries:
    """Finished days' overview numbers in the database, by filter key and local day."""

    def __init__(self, store: Store, ttl_seconds: float = DEFAULT_TTL_SECONDS) -> None:
        self.store = store
        self.ttl = dt.timedelta(seconds=ttl_seconds)

    def fresh(self, day: dt.date, computed_at: dt.datetime, now: dt.datetime) -> bool:
        """Settled (computed well after the day ended), or recomputed lately."""
        settled = computed_at >= local_midnight(day + dt.timedelta(days=1)) + SETTLED_AFTER
        return settled or now - computed_at < self.ttl

    async def load(self, key: str, days: Sequence[dt.date]) -> dict[str, DayRows]:
        """The stored days still good to use."""
        if not days:
            return {}
        now = utcnow()
        query = select(OverviewDay).where(
            OverviewDay.key == key, OverviewDay.day >= min(days), OverviewDay.day <= max(days)
        )
        async with self.store.sessions() as session:
            found = list((await session.execute(query)).scalars())
        wanted = {d.isoformat() for d in days}
        return {
            r.day.isoformat(): _decode(r.rows, r.users)
            for r in found
            if r.day.isoformat() in wanted and self.fresh(r.day, _utc(r.computed_at), now)
        }

    async def save(self, key: str, computed: dict[str, DayRows]) -> None:
        """Store freshly computed days (replacing what was there)."""
        if not computed:
            return
        now = utcnow()
        days = [dt.date.fromisoformat(d) for d in computed]
        async with self.store.sessions.begin() as session:
            await session.execute(delete(OverviewDay).where(OverviewDay.key == key, OverviewDay.day.in_(days)))
            session.add_all(
                OverviewDay(key=key, day=dt.date.fromisoformat(d), rows=_encode(r), users=r.users, computed_at=now)
                for d, r in computed.items()
            )


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


async def day_users(store: Store, f: LogFilter, day_of: Any) -> dict[str, bytes]:
    """A sketch of who asked, for each local day of the filter's dates."""
    query = select(day_of, Inquiry.user_id).where(*f.conditions()).group_by(day_of, Inquiry.user_id)
    people: dict[str, list[str]] = {}
    async with store.sessions() as session:
        for day, user in (await session.execute(query)).all():
            people.setdefault(str(day), []).append(str(user))
    return {d: sketch(users) for d, users in people.items()}
