"""The official list of licensed enterprises in the store, and the possible fraud reports.

A re-import inserts a new list and makes it the active one in one transaction, so a reader
sees the old list or the new one, never a mix or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

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


async def replace_list(store: Store, list_date: dt.date, source: str, rows: Sequence[EnterpriseRow]) -> int:
    """Store a new list and make it the active one, atomically; returns the list's id."""
    if not rows:
        raise ValueError("an enterprise list needs at least one row")
    for attempt in range(REPLACE_ATTEMPTS):
        try:
            async with store.sessions.begin() as session:
                new = EnterpriseList(
                    list_date=list_date, imported_at=utcnow(), source=source[:255], row_count=len(rows), active=False
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
                await session.execute(
                    update(EnterpriseList).where(EnterpriseList.active.is_(True)).values(active=False)
                )
                await session.execute(update(EnterpriseList).where(EnterpriseList.id == new.id).values(active=True))
                return int(new.id)
        except IntegrityError:  # another import became active meanwhile (uq_enterprise_lists_active)
            if attempt == REPLACE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


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
