"""The official list of licensed enterprises in the store, and the possible fraud reports.

A re-import inserts a new list and makes it the active one in one transaction, so a reader
sees the old list or the new one, never a mix or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Enterprise, EnterpriseList, Inquiry, utcnow
from bot.store.store import Store

REPLACE_ATTEMPTS = 3  # two imports at once: the loser retries on top of the winner's list


@dataclass(frozen=True, slots=True)
class EnterpriseRow:
    """One valid row of an import."""

    name: str
    name_key: str
    licence_no: str
    licence_date: dt.date | None
    status: str


async def _insert_list(
    session: AsyncSession, list_date: dt.date, source: str, rows: Sequence[EnterpriseRow], uploaded_by: str | None
) -> int:
    if not rows:
        raise ValueError("an enterprise list needs at least one row")
    new = EnterpriseList(
        list_date=list_date,
        imported_at=utcnow(),
        source=source[:255],
        row_count=len(rows),
        active=False,
        uploaded_by=uploaded_by,
    )
    session.add(new)
    await session.flush()
    session.add_all(
        Enterprise(
            list_id=new.id,
            name=r.name,
            name_key=r.name_key,
            licence_no=r.licence_no,
            licence_date=r.licence_date,
            status=r.status,
        )
        for r in rows
    )
    await session.flush()
    return int(new.id)


async def _activate(session: AsyncSession, list_id: int) -> bool:
    await session.execute(
        update(EnterpriseList).where(EnterpriseList.active.is_(True), EnterpriseList.id != list_id).values(active=False)
    )
    done = await session.execute(
        update(EnterpriseList).where(EnterpriseList.id == list_id).values(active=True, activated_at=utcnow())
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


async def replace_list(store: Store, list_date: dt.date, source: str, rows: Sequence[EnterpriseRow]) -> int:
    """Store a new list and make it the active one, atomically; returns the list's id."""
    for attempt in range(REPLACE_ATTEMPTS):
        try:
            async with store.sessions.begin() as session:
                new = await _insert_list(session, list_date, source, rows, None)
                await _activate(session, new)
                return new
        except IntegrityError:  # another import became active meanwhile (uq_enterprise_lists_active)
            if attempt == REPLACE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def stage_list(
    store: Store, list_date: dt.date, source: str, rows: Sequence[EnterpriseRow], uploaded_by: str | None = None
) -> int:
    """Store a new list without making it active (it waits for an official's confirmation)."""
    async with store.sessions.begin() as session:
        return await _insert_list(session, list_date, source, rows, uploaded_by)


async def activate_list(store: Store, list_id: int) -> bool:
    """Make a stored list (staged, or an earlier one: a rollback) the active one, atomically."""
    for attempt in range(REPLACE_ATTEMPTS):
        try:
            async with store.sessions.begin() as session:
                return await _activate(session, list_id)
        except IntegrityError:  # another list became active meanwhile
            if attempt == REPLACE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def discard_list(store: Store, list_id: int) -> bool:
    """Delete a staged list nobody confirmed (never one that was active)."""
    async with store.sessions.begin() as session:
        done = await session.execute(
            delete(EnterpriseList).where(EnterpriseList.id == list_id, EnterpriseList.activated_at.is_(None))
        )
    return bool(done.rowcount)  # type: ignore[attr-defined]


async def get_list(store: Store, list_id: int) -> EnterpriseList | None:
    async with store.sessions() as session:
        return await session.get(EnterpriseList, list_id)


async def previous_list(store: Store) -> EnterpriseList | None:
    """The list that was active before the active one (what a rollback returns to)."""
    async with store.sessions() as session:
        query = (
            select(EnterpriseList)
            .where(EnterpriseList.active.is_(False), EnterpriseList.activated_at.is_not(None))
            .order_by(EnterpriseList.activated_at.desc(), EnterpriseList.id.desc())
            .limit(1)
        )
        return (await session.execute(query)).scalars().first()


async def list_rows(
    store: Store, list_id: int, words: Sequence[tuple[str, str]] = (), offset: int = 0, limit: int = 50
) -> tuple[int, list[Enterprise]]:
    """(how many match, one page by name) of a list's enterprises where every (folded, as typed)
    word is in the folded name or the licence number."""
    conditions = [Enterprise.list_id == list_id]
    for folded, typed in words:
        conditions.append(
            Enterprise.name_key.contains(folded, autoescape=True)
            | func.lower(Enterprise.licence_no).contains(typed.lower(), autoescape=True)
        )
    async with store.sessions() as session:
        total = int((await session.execute(select(func.count()).where(*conditions))).scalar_one())
        query = select(Enterprise).where(*conditions).order_by(Enterprise.name, Enterprise.id)
        rows = list((await session.execute(query.offset(offset).limit(limit))).scalars())
    return total, rows


async def all_rows(store: Store, list_id: int) -> list[Enterprise]:
    async with store.sessions() as session:
        query = select(Enterprise).where(Enterprise.list_id == list_id).order_by(Enterprise.name, Enterprise.id)
        return list((await session.execute(query)).scalars())


async def active_list_id(store: Store) -> int | None:
    """The id of the active list (the cheap check a bot process makes before reloading)."""
    async with store.sessions() as session:
        found = await session.execute(select(func.max(EnterpriseList.id)).where(EnterpriseList.active.is_(True)))
        value = found.scalar_one_or_none()
        return int(value) if value is not None else None


async def active_list(store: Store) -> tuple[EnterpriseList, list[Enterprise]] | None:
    """The active list and its enterprises (by name), or None when no list was imported."""
    async with store.sessions() as session:
        current = (
            (await session.execute(select(EnterpriseList).where(EnterpriseList.active.is_(True)).limit(1)))
            .scalars()
            .first()
        )
        if current is None:
            return None
        rows = await session.execute(
            select(Enterprise).where(Enterprise.list_id == current.id).order_by(Enterprise.name, Enterprise.id)
        )
        return current, list(rows.scalars().all())


async def enterprise_lists(store: Store, limit: int = 50) -> list[EnterpriseList]:
    """The imports, newest first (for the dashboard's history)."""
    async with store.sessions() as session:
        rows = await session.execute(select(EnterpriseList).order_by(EnterpriseList.id.desc()).limit(limit))
        return list(rows.scalars().all())


async def fraud_reports(store: Store, limit: int = 100, before_id: int | None = None) -> list[Inquiry]:
    """Inquiries that showed a warning sign (possible fraud reports), newest first."""
    query = select(Inquiry).where(Inquiry.warning.is_(True)).order_by(Inquiry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Inquiry.id < before_id)
    async with store.sessions() as session:
        return list((await session.execute(query)).scalars().all())
