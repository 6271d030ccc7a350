"""The overview's numbers for a period: finished days from memory (bot/admin/daycache.py), then
from the database's stored days (bot/admin/rollup.py), the rest — and today — from the log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import func, select

from bot.admin.daycache import DayRows
from bot.admin.filters import LogFilter
from bot.admin.queries import Dashboard, Overview, _assemble
from bot.admin.rollup import day_users, estimate, filter_key, union
from bot.admin.texts import local_today
from bot.store.models import Inquiry, utcnow


async def read_overview(board: Dashboard, f: LogFilter, days: Sequence[dt.date], today: dt.date | None) -> Overview:
    """Per-day numbers (finished days kept, the rest in four scans) and the distinct askers: from
    the days' sketches when the database keeps days, else counted in the log."""
    base = replace(f, start=None, end=None)
    key = tuple(sorted(base.query().items()))
    today_iso = (today or local_today(utcnow())).isoformat()
    finished = [d for d in days if d.isoformat() < today_iso]
    found: dict[str, DayRows] = {}
    for d in finished:
        cached = board.days.get(key, d.isoformat()) if board.days is not None else None
        if cached is not None and (board.summaries is None or cached.users):
            found[d.isoformat()] = cached
    stored_key = filter_key(base)
    if board.summaries is not None:
        stored = await board.summaries.load(stored_key, [d for d in finished if d.isoformat() not in found])
        for iso, rows in stored.items():
            found[iso] = rows
            if board.days is not None:
                board.days.put(key, iso, rows)
    missing = [d for d in days if d.isoformat() not in found]
    if missing:
        await _fill(board, base, missing, found, today_iso, key, stored_key)
    isos = [d.isoformat() for d in days]
    if board.summaries is not None:
        user_count = estimate(union([found[d].users for d in isos]))
    else:
        user_count = await _askers(board, f)
    return _assemble(isos, found, user_count, await board.open_handoffs())


async def _fill(
    board: Dashboard,
    base: LogFilter,
    missing: list[dt.date],
    found: dict[str, DayRows],
    today_iso: str,
    key: tuple[tuple[str, str], ...],
    stored_key: str,
) -> None:
    """Compute the missing days in one range scan; keep the finished ones."""
    span = replace(base, start=missing[0], end=missing[-1])
    fetched = await board._day_rows(span)
    users = await day_users(board.store, span, board.day_of()) if board.summaries is not None else {}
    computed: dict[str, DayRows] = {}
    for d in missing:
        iso = d.isoformat()
        rows = replace(fetched.get(iso, DayRows()), users=users.get(iso, b""))
        found[iso] = rows
        if iso < today_iso:
            computed[iso] = rows
            if board.days is not None:
                board.days.put(key, iso, rows)
    if board.summaries is not None:
        await board.summaries.save(stored_key, computed)


async def _askers(board: Dashboard, f: LogFilter) -> int:
    """The distinct people behind the filtered inquiries, counted in the log."""
    askers = select(Inquiry.user_id).where(*f.conditions()).distinct()
    async with board.store.sessions() as session:
        found = await session.scalar(select(func.count()).select_from(board._range_scan(askers, f).subquery()))
    return int(found or 0)
