"""The overview's numbers for a period. With the database's stored days (bot/admin/rollup.py, the
dashboard): finished days summed by the database, missing ones computed once and stored, today
live, askers from the days' sketches. Without (reports, tests): finished days from memory
(bot/admin/daycache.py), the rest from the log, askers counted in the log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select

from bot.admin.breakdown import Breakdown, Overview, assemble, fold
from bot.admin.breakdown import sums as summed
from bot.admin.daycache import DayRows
from bot.admin.filters import LogFilter
from bot.admin.queries import Dashboard
from bot.admin.rollup import Period, Sums, count_rows, day_users, estimate, filter_key, union
from bot.admin.texts import local_today
from bot.store.models import Inquiry, utcnow


async def read_overview(
    board: Dashboard, f: LogFilter, days: Sequence[dt.date], today: dt.date | None = None
) -> Overview:
    """Everything the overview page charts, for the filtered period."""
    today = today or local_today(utcnow())
    if board.summaries is not None:
        return await _summarised(board, f, list(days), today)
    base = replace(f, start=None, end=None)
    key = tuple(sorted(base.query().items()))
    today_iso = today.isoformat()
    found: dict[str, DayRows] = {}
    for d in days:
        cached = board.days.get(key, d.isoformat()) if board.days is not None and d.isoformat() < today_iso else None
        if cached is not None:
            found[d.isoformat()] = cached
    missing = [d for d in days if d.isoformat() not in found]
    if missing:
        fetched = await board._day_rows(replace(base, start=missing[0], end=missing[-1]))
        for d in missing:
            rows = fetched.get(d.isoformat(), DayRows())
            found[d.isoformat()] = rows
            if board.days is not None and d.isoformat() < today_iso:
                board.days.put(key, d.isoformat(), rows)
    return assemble([d.isoformat() for d in days], found, await _askers(board, f), await board.open_handoffs())


async def _askers(board: Dashboard, f: LogFilter) -> int:
    """The distinct people behind the filtered inquiries, counted in the log."""
    askers = select(Inquiry.user_id).where(*f.conditions()).distinct()
    async with board.store.sessions() as session:
        found = await session.scalar(select(func.count()).select_from(board._range_scan(askers, f).subquery()))
    return int(found or 0)


async def computed_days(board: Dashboard, f: LogFilter, days: list[dt.date]) -> dict[dt.date, DayRows]:
    """The days' rows from the log (one range scan), each with its sketch of who asked."""
    span = replace(f, start=days[0], end=days[-1])
    fetched = await board._day_rows(span)
    users = await day_users(board.store, span, board.day_of())
    return {d: replace(fetched.get(d.isoformat(), DayRows()), users=users.get(d.isoformat(), b"")) for d in days}


async def _live(board: Dashboard, base: LogFilter, key: str, days: list[dt.date]) -> dict[dt.date, DayRows]:
    """Today's rows (and any later day's): counted, or as counted a few seconds ago."""
    assert board.summaries is not None
    cache = board.summaries.live
    kept = {d: cache.get(key, d.isoformat()) for d in days} if cache is not None else {}
    if all(rows is not None for rows in kept.values()) and kept:
        return {d: rows for d, rows in kept.items() if rows is not None}
    found = await computed_days(board, base, days)
    if cache is not None:
        for d, rows in found.items():
            cache.put(key, d.isoformat(), rows)
    return found


async def _summarised(board: Dashboard, f: LogFilter, days: list[dt.date], today: dt.date) -> Overview:
    assert board.summaries is not None
    base = replace(f, start=None, end=None)
    key = filter_key(base)
    finished = [d for d in days if d < today]
    live_days = [d for d in days if d >= today]
    period = Period()
    if finished:
        kept = await board.summaries.kept(key, finished[0], finished[-1])
        missing = [d for d in finished if d not in kept]
        if missing:
            computed = await computed_days(board, base, missing)
            await board.summaries.save(key, {d: computed[d] for d in missing})
        period = await board.summaries.period(key, finished[0], finished[-1])
    live = await _live(board, base, key, live_days) if live_days else {}
    users = estimate(union([*period.sketches, *(r.users for r in live.values())]))
    return combine([d.isoformat() for d in days], period, live, users, await board.open_handoffs())


def combine(isos: list[str], period: Period, live: dict[dt.date, DayRows], users: int, open_: int) -> Overview:
    """The overview from the stored period's sums and the live days' rows."""
    dims: dict[str, list[tuple[str | None, Sums]]] = {dim: list(v.items()) for dim, v in period.dims.items()}
    day_topics: list[tuple[str, str, Sums]] = list(period.topic_days)
    warnings = dict(period.warning_days)
    for d, rows in live.items():
        for (dim, value), sums in count_rows(d, rows).items():
            dims.setdefault(dim, []).append((value or None, sums))
        day_topics += [(d.isoformat(), str(t), list(c)) for t, c in rows.topics]
        if rows.warnings:
            warnings[d.isoformat()] = rows.warnings
    topic_by_day: dict[str, dict[str, int]] = {}
    for iso, topic, sums in day_topics:
        if sums[1]:
            topic_by_day.setdefault(topic, {})[iso] = sums[1]
    per_day: list[tuple[Any, Sums]] = [(iso, sums) for iso, _t, sums in day_topics]
    total = fold((None, s) for _iso, s in per_day)
    entries = [(str(e), s[0]) for e, s in summed(dims.get("entry", [])).items() if e]
    return Overview(
        days=isos,
        by_day={b.key or "": b for b in fold(per_day)},
        topic_by_day=topic_by_day,
        by_topic=fold(dims.get("topic", [])),
        by_channel=fold(dims.get("channel", [])),
        by_province=fold(dims.get("province", [])),
        by_campaign=fold(dims.get("campaign", [])),
        top_entries=sorted(entries, key=lambda kv: (-kv[1], kv[0]))[:10],
        total=replace(total[0], users=users) if total else Breakdown(key=None),
        handoffs_open=open_,
        warnings_by_day={d: warnings[d] for d in isos if warnings.get(d)},
    )
