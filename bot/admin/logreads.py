"""The inquiry log for the dashboard: pages of the filtered log (keyset on id), the export's
batches, one worker's whole conversation with the officials' replies."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.filters import LogFilter
from bot.admin.models import OfficialReply
from bot.admin.reads import Reads
from bot.admin.texts import as_utc, local_midnight
from bot.store.models import Handoff, Inquiry, User

PAGE_SIZE = 50
# Ids grow with created_at (every record is written at its own "now"), so a date range is also
# an id range; this much slack covers records committed slightly out of order.
ID_SLACK = 1000
EXPORT_BATCH = 2000
MAX_CONVERSATION = 500


@dataclass(frozen=True, slots=True)
class LogPage:
    rows: list[Inquiry]
    newer: int | None  # cursor for the page of newer records (None: this is the newest)
    older: int | None  # cursor for the page of older records (None: this is the oldest)


@dataclass(frozen=True, slots=True)
class TimelineItem:
    at: dt.datetime
    kind: str  # worker, bot, official
    text: str
    inquiry: Inquiry | None = None
    reply: OfficialReply | None = None


@dataclass(frozen=True, slots=True)
class ConversationView:
    user_id: str
    channel: str
    province: str | None
    campaign: str | None
    items: list[TimelineItem]
    handoffs: list[Handoff]
    truncated: bool


class LogReads(Reads):
    """The log's pages and conversations."""

    async def log_page(
        self,
        f: LogFilter,
        before: int | None = None,
        after: int | None = None,
        oldest: bool = False,
        size: int = PAGE_SIZE,
    ) -> LogPage:
        """One page of the filtered log, newest first, by keyset on id (no OFFSET)."""
        query = select(Inquiry).where(*f.conditions())
        async with self.store.sessions() as session:
            bounds = await self._id_bounds(session, f)
            if bounds is None:
                return LogPage([], None, None)
            query = query.where(*bounds)
            if after is not None or oldest:
                if after is not None:
                    query = query.where(Inquiry.id > after)
                rows = list((await session.execute(query.order_by(Inquiry.id.asc()).limit(size + 1))).scalars())
                more_newer = len(rows) > size
                rows = list(reversed(rows[:size]))
                newer = rows[0].id if rows and more_newer else None
                older = rows[-1].id if rows and not oldest else None
                return LogPage(rows, newer, older)
            if before is not None:
                query = query.where(Inquiry.id < before)
            rows = list((await session.execute(query.order_by(Inquiry.id.desc()).limit(size + 1))).scalars())
        more_older = len(rows) > size
        rows = rows[:size]
        return LogPage(rows, rows[0].id if rows and before is not None else None, rows[-1].id if more_older else None)

    async def _id_bounds(self, session: AsyncSession, f: LogFilter) -> list[ColumnElement[bool]] | None:
        """Id limits that cover the filter's dates (None: no record in range), from the created_at index."""
        found: list[ColumnElement[bool]] = []
        if f.start is not None:
            first = await session.scalar(
                select(Inquiry.id)
                .where(Inquiry.created_at >= local_midnight(f.start))
                .order_by(Inquiry.created_at.asc())
                .limit(1)
            )
            if first is None:
                return None
            found.append(Inquiry.id >= first - ID_SLACK)
        if f.end is not None:
            last = await session.scalar(
                select(Inquiry.id)
                .where(Inquiry.created_at < local_midnight(f.end + dt.timedelta(days=1)))
                .order_by(Inquiry.created_at.desc())
                .limit(1)
            )
            if last is None:
                return None
            found.append(Inquiry.id <= last + ID_SLACK)
        return found

    async def iter_log(
        self, f: LogFilter, limit: int | None = None, batch: int = EXPORT_BATCH
    ) -> AsyncIterator[list[Inquiry]]:
        """The whole filtered log, newest first, in batches (for exports)."""
        cursor: int | None = None
        sent = 0
        while limit is None or sent < limit:
            size = batch if limit is None else min(batch, limit - sent)
            query = select(Inquiry).where(*f.conditions()).order_by(Inquiry.id.desc()).limit(size)
            if cursor is not None:
                query = query.where(Inquiry.id < cursor)
            async with self.store.sessions() as session:
                bounds = await self._id_bounds(session, f)
                if bounds is None:
                    return
                rows = list((await session.execute(query.where(*bounds))).scalars())
            if not rows:
                return
            yield rows
            sent += len(rows)
            cursor = rows[-1].id

    async def inquiry(self, inquiry_id: int) -> Inquiry | None:
        async with self.store.sessions() as session:
            return await session.get(Inquiry, inquiry_id)

    async def conversation(self, inquiry_id: int) -> ConversationView | None:
        """The whole conversation of the worker behind one inquiry, in order, with officials' replies."""
        async with self.store.sessions() as session:
            anchor = await session.get(Inquiry, inquiry_id)
            if anchor is None:
                return None
            user = await session.get(User, anchor.user_id)
            newest = (
                select(Inquiry)
                .where(Inquiry.user_id == anchor.user_id)
                .order_by(Inquiry.id.desc())
                .limit(MAX_CONVERSATION + 1)
            )
            inquiries = list((await session.execute(newest)).scalars())
            replies = list(
                (
                    await session.execute(
                        select(OfficialReply).where(OfficialReply.user_id == anchor.user_id).order_by(OfficialReply.id)
                    )
                ).scalars()
            )
            handoffs = list(
                (
                    await session.execute(select(Handoff).where(Handoff.user_id == anchor.user_id).order_by(Handoff.id))
                ).scalars()
            )
        truncated = len(inquiries) > MAX_CONVERSATION
        items: list[TimelineItem] = []
        for inq in reversed(inquiries[:MAX_CONVERSATION]):
            at = as_utc(inq.created_at)
            items.append(TimelineItem(at, "worker", inq.text, inquiry=inq))
            if inq.reply_text:
                items.append(TimelineItem(at, "bot", inq.reply_text, inquiry=inq))
        items += [TimelineItem(as_utc(r.created_at), "official", r.text, reply=r) for r in replies]
        items.sort(key=lambda item: (item.at, item.kind == "official"))
        return ConversationView(
            user_id=anchor.user_id,
            channel=anchor.channel,
            province=user.province if user else anchor.province,
            campaign=user.campaign if user else anchor.campaign,
            items=items,
            handoffs=handoffs,
            truncated=truncated,
        )
