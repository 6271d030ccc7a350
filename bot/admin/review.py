"""The unanswered queue: questions the bot could not answer that nobody has dealt with yet, and
the officials' review of them (linked to an entry, handled, off-topic)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import ColumnElement, exists, select

from bot.admin.grouping import Question
from bot.admin.models import InquiryReview
from bot.admin.reads import Reads
from bot.admin.texts import as_utc
from bot.store.models import Inquiry, utcnow

UNANSWERED_OUTCOMES = ("fallback",)


class ReviewReads(Reads):
    """The unanswered queue and its review."""

    def _unreviewed(self, also_reviewed: bool = False) -> list[ColumnElement[bool]]:
        found = [Inquiry.outcome.in_(UNANSWERED_OUTCOMES), Inquiry.answered.is_(False), Inquiry.message_kind == "text"]
        if not also_reviewed:
            found.append(~exists().where(InquiryReview.inquiry_id == Inquiry.id))
        return found

    async def unanswered(
        self,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int = 5000,
        province: str | None = None,
        also_reviewed: bool = False,
        before: int | None = None,
    ) -> list[Question]:
        """The newest unanswered questions nobody has dealt with yet (or all of them, for reports);
        with `before`, the newest of those older than that inquiry (the queue's next page)."""
        query = select(Inquiry.id, Inquiry.text, Inquiry.normalized, Inquiry.user_id, Inquiry.created_at).where(
            *self._unreviewed(also_reviewed)
        )
        if since is not None:
            query = query.where(Inquiry.created_at >= since)
        if until is not None:
            query = query.where(Inquiry.created_at < until)
        if province is not None:
            query = query.where(Inquiry.province == province)
        if before is not None:
            query = query.where(Inquiry.id < before)
        async with self.store.sessions() as session:
            rows = (await session.execute(query.order_by(Inquiry.id.desc()).limit(limit))).all()
        return [
            Question(id=r.id, text=r.text, key=r.normalized, user_id=r.user_id, at=as_utc(r.created_at)) for r in rows
        ]

    async def unanswered_texts(self, ids: Iterable[int]) -> list[tuple[int, str]]:
        """(id, text) of those inquiries that are still unanswered and not yet dealt with."""
        wanted = sorted(set(ids))
        if not wanted:
            return []
        async with self.store.sessions() as session:
            rows = (
                await session.execute(
                    select(Inquiry.id, Inquiry.text).where(Inquiry.id.in_(wanted), *self._unreviewed())
                )
            ).all()
        return [(int(r.id), str(r.text)) for r in rows]

    async def review(self, ids: Iterable[int], action: str, entry_id: str | None, actor: str) -> int:
        """Mark unanswered inquiries as linked to an entry or handled; returns how many were marked."""
        todo = [i for i, _text in await self.unanswered_texts(ids)]
        now = utcnow()
        async with self.store.sessions.begin() as session:
            session.add_all(
                InquiryReview(inquiry_id=i, action=action, entry_id=entry_id, actor=actor, created_at=now) for i in todo
            )
        return len(todo)
