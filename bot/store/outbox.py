"""The durable outbox: replies written with their record, claimed and sent by any replica, and
how their delivery ended."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update

from bot.store.database import Database
from bot.store.models import utcnow
from bot.store.statements import INQUIRIES, OUTBOX


@dataclass(frozen=True, slots=True)
class OutboxClaim:
    """An unsent reply this process now holds: the encrypted chat address and the rendered messages."""

    id: int
    inquiry_id: int
    address: str
    messages: list[dict[str, Any]]
    attempts: int


class Outbox(Database):
    """Replies not yet sent, and how the sent ones ended."""

    async def set_deliveries(self, statuses: dict[int, str]) -> None:
        """Record how replies ended ("sent", "failed", "none"), many inquiries in one transaction;
        their outbox rows (address and text) are deleted with it."""
        by_status: dict[str, list[int]] = {}
        for inquiry_id, status in statuses.items():
            by_status.setdefault(status, []).append(inquiry_id)
        ids = list(statuses)
        async with self.engine.begin() as conn:
            for status, status_ids in by_status.items():
                for i in range(0, len(status_ids), 500):
                    chunk = status_ids[i : i + 500]
                    await conn.execute(update(INQUIRIES).where(INQUIRIES.c.id.in_(chunk)).values(delivery=status))
            for i in range(0, len(ids), 500):
                await conn.execute(delete(OUTBOX).where(OUTBOX.c.inquiry_id.in_(ids[i : i + 500])))

    async def set_deliveries_by_update(self, channel: str, statuses: dict[str, str]) -> set[str]:
        """Record how replies to journaled records ended, by their update id; the ids found (a record
        still in the journal is not in the database yet)."""
        found: set[str] = set()
        async with self.engine.begin() as conn:
            for external_id, status in statuses.items():
                result = await conn.execute(
                    update(INQUIRIES)
                    .where(INQUIRIES.c.channel == channel, INQUIRIES.c.external_id == external_id)
                    .values(delivery=status)
                )
                if result.rowcount:
                    found.add(external_id)
        return found

    async def claim_outbox(self, channel: str, lease: float, limit: int = 100) -> list[OutboxClaim]:
        """Take up to `limit` unsent replies of a channel that no process holds (a crashed process's,
        or ones whose send failed for now) and hold them for `lease` seconds.

        One statement: PostgreSQL skips rows another process is claiming (FOR UPDATE SKIP LOCKED);
        SQLite has one writer at a time. Oldest first, so a chat's replies keep their order.
        """
        now = utcnow()
        due = (
            select(OUTBOX.c.id)
            .where(OUTBOX.c.channel == channel, OUTBOX.c.claimed_until < now)
            .order_by(OUTBOX.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(due.scalar_subquery()))
            .values(claimed_until=now + dt.timedelta(seconds=lease), attempts=OUTBOX.c.attempts + 1)
            .returning(OUTBOX.c.id, OUTBOX.c.inquiry_id, OUTBOX.c.address, OUTBOX.c.messages, OUTBOX.c.attempts)
        )
        async with self.engine.begin() as conn:
            rows = (await conn.execute(claim)).all()
        return sorted((OutboxClaim(*row) for row in rows), key=lambda c: c.id)

    async def hold_outbox(self, inquiry_ids: list[int], lease: float) -> None:
        """Keep holding replies this process is still sending (a long send queue) for `lease` more seconds."""
        until = utcnow() + dt.timedelta(seconds=lease)
        async with self.engine.begin() as conn:
            for i in range(0, len(inquiry_ids), 500):
                chunk = inquiry_ids[i : i + 500]
                await conn.execute(update(OUTBOX).where(OUTBOX.c.inquiry_id.in_(chunk)).values(claimed_until=until))

    async def outbox_size(self, channel: str | None = None) -> int:
        """Replies not yet sent (all channels, or one)."""
        query = select(func.count()).select_from(OUTBOX)
        if channel is not None:
            query = query.where(OUTBOX.c.channel == channel)
        async with self._autocommit.connect() as conn:
            return int((await conn.execute(query)).scalar_one())
