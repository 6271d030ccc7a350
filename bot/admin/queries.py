"""What the dashboard reads from (and writes to) the store: log pages, conversations, counts,
unanswered questions, handoffs and replies, campaign funnels."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, case, distinct, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.daycache import Counts, DayCache, DayRows
from bot.admin.filters import LogFilter, answered_question, is_question, local_day
from bot.admin.grouping import Question
from bot.admin.models import InquiryReview, OfficialReply
from bot.admin.rollup import DaySummaries
from bot.admin.texts import as_utc, local_midnight
from bot.store.models import Campaign, CampaignEvent, Handoff, Inquiry, User, utcnow
from bot.store.store import Store

PAGE_SIZE = 50
# Ids grow with created_at (every record is written at its own "now"), so a date range is also
# an id range; this much slack covers records committed slightly out of order.
ID_SLACK = 1000
EXPORT_BATCH = 2000
UNANSWERED_OUTCOMES = ("fallback",)
MAX_CONVERSATION = 500


@dataclass(frozen=True, slots=True)
class LogPage:
    rows: list[Inquiry]
    newer: int | None  # cursor for the page of newer records (None: this is the newest)
    older: int | None  # cursor for the page of older records (None: this is the oldest)


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Counts for one value of a dimension (a topic, a channel, a day …)."""

    key: str | None
    inquiries: int = 0
    questions: int = 0
    answered: int = 0
    users: int = 0
    up: int = 0
    down: int = 0

    @property
    def rate(self) -> float | None:
        return 100.0 * self.answered / self.questions if self.questions else None


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


@dataclass(frozen=True, slots=True)
class Funnel:
    """How far a campaign's people went: link clicks → starts → questions → answered → handoffs."""

    code: str
    name: str
    province: str | None
    created_at: dt.datetime
    clicks: int = 0
    starts: int = 0
    askers: int = 0
    questions: int = 0
    answered_users: int = 0
    answered: int = 0
    handoff_users: int = 0
    handoffs: int = 0


@dataclass(slots=True)
class Overview:
    days: list[str]
    by_day: dict[str, Breakdown]
    topic_by_day: dict[str, dict[str, int]] = field(default_factory=dict)  # topic → day → questions (is_question)
    warnings_by_day: dict[str, int] = field(default_factory=dict)  # day → messages with a sign of a scam
    by_topic: list[Breakdown] = field(default_factory=list)
    by_channel: list[Breakdown] = field(default_factory=list)
    by_campaign: list[Breakdown] = field(default_factory=list)
    by_province: list[Breakdown] = field(default_factory=list)
    top_entries: list[tuple[str, int]] = field(default_factory=list)
    total: Breakdown = field(default_factory=lambda: Breakdown(key=None))
    handoffs_open: int = 0


def _sum(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _measures() -> list[Any]:
    return [
        func.count(),
        _sum(is_question()),
        _sum(answered_question()),
        func.count(distinct(Inquiry.user_id)),
        _sum(Inquiry.feedback > 0),
        _sum(Inquiry.feedback < 0),
    ]


def _counts() -> list[Any]:
    """The measures that add up across groups (all but distinct users)."""
    return [
        func.count(),
        _sum(is_question()),
        _sum(answered_question()),
        _sum(Inquiry.feedback > 0),
        _sum(Inquiry.feedback < 0),
    ]


def _sums(rows: Iterable[tuple[Any, Sequence[int]]]) -> dict[Any, list[int]]:
    """Add up `_counts()` rows (ints, _ints) per key; a year of days in a few milliseconds."""
    sums: dict[Any, list[int]] = {}
    for key, (n, q, a, up, down) in rows:
        acc = sums.get(key)
        if acc is None:
            sums[key] = [n, q, a, up, down]
        else:
            acc[0] += n
            acc[1] += q
            acc[2] += a
            acc[3] += up
            acc[4] += down
    return sums


def _fold(rows: Iterable[tuple[Any, Sequence[int]]]) -> list[Breakdown]:
    """Add up `_counts()` rows per key, most inquiries first."""
    found = [
        Breakdown(key=None if k is None else str(k), inquiries=n, questions=q, answered=a, up=up, down=down)
        for k, (n, q, a, up, down) in _sums(rows).items()
    ]
    return sorted(found, key=lambda b: (-b.inquiries, b.key or ""))


def _ints(values: Sequence[Any]) -> Counts:
    n, q, a, up, down = (int(v or 0) for v in values)
    return (n, q, a, up, down)


def _assemble(days: list[str], found: dict[str, DayRows], users: int, handoffs_open: int) -> Overview:
    """The overview of a period from its days' rows."""
    topic_by_day: dict[str, dict[str, int]] = {}
    per_day: list[tuple[Any, Counts]] = []
    per_topic: list[tuple[Any, Counts]] = []
    places: list[tuple[Any, Counts]] = []  # ((channel, province, campaign), counts), each day's
    entries: dict[str, int] = {}
    for d in days:
        rows = found.get(d, DayRows())
        for topic, counts in rows.topics:
            per_day.append((d, counts))
            per_topic.append((topic, counts))
            if counts[1]:
                topic_by_day.setdefault(str(topic), {})[d] = counts[1]
        places += (((channel, province, campaign), counts) for channel, province, campaign, counts in rows.places)
        for entry, n in rows.entries:
            entries[entry] = entries.get(entry, 0) + n
    total = _fold((None, c) for _d, c in per_day)
    placed = _sums(places).items()  # a few dozen places to fold by channel, province, campaign
    return Overview(
        days=days,
        by_day={b.key or "": b for b in _fold(per_day)},
        topic_by_day=topic_by_day,
        by_topic=_fold(per_topic),
        by_channel=_fold((p[0], c) for p, c in placed),
        by_province=_fold((p[1], c) for p, c in placed),
        by_campaign=_fold((p[2], c) for p, c in placed),
        top_entries=sorted(entries.items(), key=lambda kv: (-kv[1], kv[0]))[:10],
        total=replace(total[0], users=users) if total else Breakdown(key=None),
        handoffs_open=handoffs_open,
        warnings_by_day={d: found[d].warnings for d in days if d in found and found[d].warnings},
    )


def _breakdown(key: Any, values: Sequence[Any]) -> Breakdown:
    n, q, a, u, up, down = (int(v or 0) for v in values)
    return Breakdown(
        key=None if key is None else str(key), inquiries=n, questions=q, answered=a, users=u, up=up, down=down
    )


class Dashboard:
    """Read models of the inquiry log for the dashboard and the reports."""

    def __init__(self, store: Store, days: DayCache | None = None, summaries: DaySummaries | None = None) -> None:
        self.store = store
        self.days = days  # finished days' overview numbers (bot/admin/daycache.py), if kept
        self.summaries = summaries  # and in the database, shared by processes (bot/admin/rollup.py)

    @property
    def dialect(self) -> str:
        return self.store.engine.dialect.name

    # --- the log ---------------------------------------------------------------------------

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

    async def campaigns(self) -> list[Campaign]:
        async with self.store.sessions() as session:
            return list((await session.execute(select(Campaign).order_by(Campaign.created_at.desc()))).scalars())

    # --- counts ----------------------------------------------------------------------------

    async def breakdown(self, dimension: Any, conditions: Sequence[ColumnElement[bool]]) -> list[Breakdown]:
        """Counts per value of `dimension` (a column or expression), most inquiries first."""
        query = select(dimension, *_measures()).where(*conditions).group_by(dimension)
        async with self.store.sessions() as session:
            rows = (await session.execute(query)).all()
        found = [_breakdown(row[0], row[1:]) for row in rows]
        return sorted(found, key=lambda b: (-b.inquiries, b.key or ""))

    async def total(self, conditions: Sequence[ColumnElement[bool]]) -> Breakdown:
        async with self.store.sessions() as session:
            row = (await session.execute(select(*_measures()).where(*conditions))).one()
        return _breakdown(None, row)

    def day_of(self) -> ColumnElement[Any]:
        return local_day(Inquiry.created_at, self.dialect)

    def _range_scan(self, query: Select[Any], f: LogFilter) -> Select[Any]:
        """On SQLite, read a date range through the created_at index (its planner would rather
        walk a (column, id) index to skip a sort, and so read the whole table)."""
        if self.dialect == "sqlite" and (f.start is not None or f.end is not None):
            return query.with_hint(Inquiry, "INDEXED BY ix_inquiries_created_at", "sqlite")
        return query

    async def _day_rows(self, f: LogFilter) -> dict[str, DayRows]:
        """The overview's numbers for each local day of the filter's dates, in four scans."""
        where = f.conditions()
        day = self.day_of()
        counts = _counts()
        places = (Inquiry.channel, Inquiry.province, Inquiry.campaign)
        queries = (
            select(day, Inquiry.topic, *counts).where(*where).group_by(day, Inquiry.topic),
            select(day, *places, *counts).where(*where).group_by(day, *places),
            select(day, Inquiry.entry_id, func.count())
            .where(*where, Inquiry.entry_id.is_not(None), Inquiry.answered.is_(True))
            .group_by(day, Inquiry.entry_id),
            select(day, func.count()).where(*where, Inquiry.warning.is_(True)).group_by(day),
        )
        async with self.store.sessions() as session:
            topic_rows, place_rows, entry_rows, warning_rows = [
                (await session.execute(self._range_scan(q, f))).all() for q in queries
            ]
        topics: dict[str, list[tuple[str | None, Counts]]] = {}
        for d, topic, *values in topic_rows:
            topics.setdefault(str(d), []).append((topic, _ints(values)))
        placed: dict[str, list[tuple[str | None, str | None, str | None, Counts]]] = {}
        for d, channel, province, campaign, *values in place_rows:
            placed.setdefault(str(d), []).append((channel, province, campaign, _ints(values)))
        entries: dict[str, list[tuple[str, int]]] = {}
        for d, entry, n in entry_rows:
            entries.setdefault(str(d), []).append((str(entry), int(n)))
        warned = {str(d): int(n) for d, n in warning_rows}
        return {
            d: DayRows(tuple(topics.get(d, ())), tuple(placed.get(d, ())), tuple(entries.get(d, ())), warned.get(d, 0))
            for d in set(topics) | set(placed) | set(entries) | set(warned)
        }

    async def top_entries(self, conditions: Sequence[ColumnElement[bool]], limit: int = 20) -> list[tuple[str, int]]:
        """The entries answered most often."""
        query = (
            select(Inquiry.entry_id, func.count())
            .where(*conditions, Inquiry.entry_id.is_not(None), Inquiry.answered.is_(True))
            .group_by(Inquiry.entry_id)
            .order_by(func.count().desc(), Inquiry.entry_id)
            .limit(limit)
        )
        async with self.store.sessions() as session:
            return [(str(e), int(n)) for e, n in (await session.execute(query)).all()]

    async def new_users(self, since: dt.datetime, until: dt.datetime, province: str | None = None) -> int:
        query = select(func.count()).where(User.created_at >= since, User.created_at < until)
        if province is not None:
            query = query.where(User.province == province)
        async with self.store.sessions() as session:
            return int((await session.execute(query)).scalar_one())

    async def handoff_times(
        self, since: dt.datetime, until: dt.datetime, province: str | None = None
    ) -> list[tuple[str, dt.datetime, dt.datetime | None]]:
        """(status, asked at, answered at) of the handoffs asked for in a period."""
        query = (
            select(Handoff.status, Handoff.created_at, Handoff.answered_at)
            .join(Inquiry, Inquiry.id == Handoff.inquiry_id)
            .where(Handoff.created_at >= since, Handoff.created_at < until)
        )
        if province is not None:
            query = query.where(Inquiry.province == province)
        async with self.store.sessions() as session:
            rows = (await session.execute(query)).all()
        return [(str(st), as_utc(a), as_utc(b) if b is not None else None) for st, a, b in rows]

    # --- unanswered questions --------------------------------------------------------------

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
    ) -> list[Question]:
        """The newest unanswered questions nobody has dealt with yet (or all of them, for reports)."""
        query = select(Inquiry.id, Inquiry.text, Inquiry.normalized, Inquiry.user_id, Inquiry.created_at).where(
            *self._unreviewed(also_reviewed)
        )
        if since is not None:
            query = query.where(Inquiry.created_at >= since)
        if until is not None:
            query = query.where(Inquiry.created_at < until)
        if province is not None:
            query = query.where(Inquiry.province == province)
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

    # --- handoffs --------------------------------------------------------------------------

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

    # --- campaigns -------------------------------------------------------------------------

    async def funnels(self, code: str | None = None) -> list[Funnel]:
        """Every campaign's funnel (or one campaign's), newest campaign first."""
        async with self.store.sessions() as session:
            query = select(Campaign).order_by(Campaign.created_at.desc())
            if code is not None:
                query = query.where(Campaign.code == code)
            campaigns = list((await session.execute(query)).scalars())
            if not campaigns:
                return []
            codes = [c.code for c in campaigns]
            clicks = dict(
                (
                    await session.execute(
                        select(CampaignEvent.code, func.count())
                        .where(CampaignEvent.kind == "click", CampaignEvent.code.in_(codes))
                        .group_by(CampaignEvent.code)
                    )
                )
                .tuples()
                .all()
            )
            starts = dict(
                (
                    await session.execute(
                        select(User.campaign, func.count()).where(User.campaign.in_(codes)).group_by(User.campaign)
                    )
                )
                .tuples()
                .all()
            )
            asked = {
                r[0]: r[1:]
                for r in (
                    await session.execute(
                        select(
                            Inquiry.campaign,
                            func.count(distinct(Inquiry.user_id)),
                            func.count(),
                            func.count(distinct(case((Inquiry.answered.is_(True), Inquiry.user_id)))),
                            _sum(Inquiry.answered.is_(True)),
                        )
                        .where(Inquiry.campaign.in_(codes), is_question())
                        .group_by(Inquiry.campaign)
                    )
                ).all()
            }
            handed = {
                r[0]: r[1:]
                for r in (
                    await session.execute(
                        select(User.campaign, func.count(distinct(Handoff.user_id)), func.count())
                        .join(User, User.id == Handoff.user_id)
                        .where(User.campaign.in_(codes))
                        .group_by(User.campaign)
                    )
                ).all()
            }
        funnels = []
        for c in campaigns:
            a = asked.get(c.code, (0, 0, 0, 0))
            h = handed.get(c.code, (0, 0))
            funnels.append(
                Funnel(
                    code=c.code,
                    name=c.name,
                    province=c.province,
                    created_at=as_utc(c.created_at),
                    clicks=int(clicks.get(c.code, 0)),
                    starts=int(starts.get(c.code, 0)),
                    askers=int(a[0]),
                    questions=int(a[1]),
                    answered_users=int(a[2]),
                    answered=int(a[3]),
                    handoff_users=int(h[0]),
                    handoffs=int(h[1]),
                )
            )
        return funnels
