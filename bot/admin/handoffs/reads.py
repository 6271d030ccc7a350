"""The handoff inbox: requests for an official, filtered and paged (urgent and newest first),
taken by one official, answered in a thread of replies, closed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, func, select, update

from bot.admin.models import OfficialReply
from bot.admin.reads import Reads
from bot.admin.texts import as_utc
from bot.store.models import Handoff, Inquiry, utcnow


@dataclass(frozen=True, slots=True)
class HandoffRow:
    handoff: Handoff
    topic: str | None
    province: str | None
    campaign: str | None
    replies: int

    def waiting(self, now: dt.datetime) -> dt.timedelta:
        return now - as_utc(self.handoff.created_at)

    @property
    def answer_time(self) -> dt.timedelta | None:
        answered = self.handoff.answered_at
        return as_utc(answered) - as_utc(self.handoff.created_at) if answered is not None else None


# The inbox's order: urgent requests first (a worker abroad in trouble), then the newest.
INBOX_ORDER: tuple[ColumnElement[Any], ...] = (Handoff.urgent.desc(), Handoff.id.desc())
CLOSED_ORDER: tuple[ColumnElement[Any], ...] = (Handoff.id.desc(),)
INBOX_PAGE = 50
# "Waiting longer than": the choices of the inbox's filter.
WAITING = {
    "1h": dt.timedelta(hours=1),
    "8h": dt.timedelta(hours=8),
    "1d": dt.timedelta(days=1),
    "3d": dt.timedelta(days=3),
}
ASSIGNED_CHOICES = ("none", "me", "others")


@dataclass(frozen=True, slots=True)
class InboxFilter:
    """What an official narrowed the inbox to."""

    status: str = "open"
    province: str | None = None
    topic: str | None = None
    waiting: str | None = None  # a key of WAITING
    assigned: str | None = None  # none, me, others
    me: str | None = None  # the signed-in official, for assigned=me/others

    def conditions(self, now: dt.datetime) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [Handoff.status == self.status]
        if self.province is not None:
            found.append(Inquiry.province == self.province)
        if self.topic is not None:
            found.append(Inquiry.topic == self.topic)
        if self.waiting in WAITING:
            found.append(Handoff.created_at < now - WAITING[self.waiting])
        if self.assigned == "none":
            found.append(Handoff.assigned_to.is_(None))
        elif self.assigned == "me" and self.me:
            found.append(Handoff.assigned_to == self.me)
        elif self.assigned == "others" and self.me:
            found.append(Handoff.assigned_to.is_not(None) & (Handoff.assigned_to != self.me))
        return found

    def query(self) -> dict[str, str]:
        """The filter as query parameters (for links that keep it)."""
        found = {"status": self.status, "province": self.province, "topic": self.topic}
        found.update(waiting=self.waiting, assigned=self.assigned)
        return {k: v for k, v in found.items() if v}


@dataclass(frozen=True, slots=True)
class InboxPage:
    rows: list[HandoffRow]
    total: int  # requests matching the filter
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class Taken:
    """What "Tôi trả lời yêu cầu này" did: taken (now yours), mine (already), other (someone has it), closed."""

    outcome: str
    official: str | None


class InboxReads(Reads):
    """The inbox's pages, and what officials do with a request."""

    async def open_handoffs(self) -> int:
        async with self.store.sessions() as session:
            return int((await session.execute(select(func.count()).where(Handoff.status == "open"))).scalar_one())

    async def handoff_counts(self) -> dict[str, int]:
        """How many handoffs have each status (the inbox's tabs)."""
        async with self.store.sessions() as session:
            rows = (await session.execute(select(Handoff.status, func.count()).group_by(Handoff.status))).all()
        return {str(status): int(n) for status, n in rows}

    async def inbox(self, f: InboxFilter, now: dt.datetime, page: int = 1, size: int = INBOX_PAGE) -> InboxPage:
        """One page of the handoffs with a status, in INBOX_ORDER, with how many match in all."""
        replies = (
            select(func.count())
            .where(
                OfficialReply.handoff_id == Handoff.id, OfficialReply.kind == "reply", OfficialReply.delivery == "sent"
            )
            .correlate(Handoff)
            .scalar_subquery()
        )
        where = f.conditions(now)
        matching = select(func.count()).select_from(Handoff).outerjoin(Inquiry, Inquiry.id == Handoff.inquiry_id)
        async with self.store.sessions() as session:
            total = int((await session.execute(matching.where(*where))).scalar_one())
            pages = max(1, -(-total // size))
            page = min(max(1, page), pages)
            query: Select[Any] = (
                select(Handoff, Inquiry.topic, Inquiry.province, Inquiry.campaign, replies)
                .outerjoin(Inquiry, Inquiry.id == Handoff.inquiry_id)
                .where(*where)
                .order_by(*(INBOX_ORDER if f.status == "open" else CLOSED_ORDER))
                .offset((page - 1) * size)
                .limit(size)
            )
            rows = (await session.execute(query)).all()
        found = [HandoffRow(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]
        return InboxPage(found, total, page, pages)

    async def handoffs(self, status: str = "open", limit: int = 100) -> list[HandoffRow]:
        """The first handoffs of a status, in the inbox's order."""
        return (await self.inbox(InboxFilter(status=status), utcnow(), size=limit)).rows

    async def handoff(self, handoff_id: int) -> Handoff | None:
        async with self.store.sessions() as session:
            return await session.get(Handoff, handoff_id)

    async def thread(self, handoff_id: int) -> list[OfficialReply]:
        """The officials' replies (and notices) on one handoff, oldest first."""
        async with self.store.sessions() as session:
            query = select(OfficialReply).where(OfficialReply.handoff_id == handoff_id).order_by(OfficialReply.id)
            return list((await session.execute(query)).scalars())

    async def take(self, handoff_id: int, official: str, now: dt.datetime) -> Taken:
        """ "Tôi trả lời yêu cầu này": the official takes an open request nobody has taken yet."""
        async with self.store.sessions.begin() as session:
            result = await session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == "open", Handoff.assigned_to.is_(None))
                .values(assigned_to=official, assigned_at=now)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                return Taken("taken", official)
            row = (
                await session.execute(select(Handoff.status, Handoff.assigned_to).where(Handoff.id == handoff_id))
            ).one_or_none()
        if row is None or row.status != "open":
            return Taken("closed", None)
        return Taken("mine" if row.assigned_to == official else "other", row.assigned_to)

    async def release(self, handoff_id: int, official: str) -> bool:
        """The official gives a request they took back to the inbox."""
        async with self.store.sessions.begin() as session:
            result = await session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.assigned_to == official)
                .values(assigned_to=None, assigned_at=None)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def record_reply(
        self,
        handoff: Handoff,
        text: str,
        answer: str,
        author: str,
        delivered: bool,
        close: bool = True,
        kind: str = "reply",
    ) -> OfficialReply:
        """Keep an official's reply (or notice) in the thread. A delivered reply answers the handoff
        (the first one sets when it was answered); with `close` it also closes it and its address goes."""
        now = utcnow()
        reply = OfficialReply(
            handoff_id=handoff.id,
            user_id=handoff.user_id,
            channel=handoff.channel,
            text=text,
            answer=answer if kind == "reply" else None,
            author=author,
            delivery="sent" if delivered else "failed",
            kind=kind,
            created_at=now,
            delivered_at=now if delivered and handoff.channel != "web" else None,
        )
        async with self.store.sessions.begin() as session:
            session.add(reply)
            if delivered and kind == "reply":
                values: dict[str, Any] = {
                    "answer_text": answer,
                    "answered_at": func.coalesce(Handoff.answered_at, now),
                    "assigned_to": func.coalesce(Handoff.assigned_to, author),
                    "assigned_at": func.coalesce(Handoff.assigned_at, now),
                }
                if close:
                    values.update(status="answered", delivery_address=None, closed_by=author)
                await session.execute(update(Handoff).where(Handoff.id == handoff.id).values(**values))
        return reply

    async def keep_unsent(self, handoff: Handoff, text: str, author: str) -> None:
        """A reply written for a request someone closed meanwhile: kept in the thread, not sent."""
        async with self.store.sessions.begin() as session:
            session.add(
                OfficialReply(
                    handoff_id=handoff.id,
                    user_id=handoff.user_id,
                    channel=handoff.channel,
                    text=text,
                    author=author,
                    delivery="unsent",
                    created_at=utcnow(),
                )
            )

    async def close_handoff(self, handoff_id: int, official: str | None = None) -> bool:
        """Close an open handoff: answered if a reply reached the worker, else closed; its address goes."""
        reached = (
            exists()
            .where(
                OfficialReply.handoff_id == Handoff.id, OfficialReply.kind == "reply", OfficialReply.delivery == "sent"
            )
            .correlate(Handoff)
        )
        async with self.store.sessions.begin() as session:
            result = await session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == "open")
                .values(status=case((reached, "answered"), else_="closed"), delivery_address=None, closed_by=official)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]
