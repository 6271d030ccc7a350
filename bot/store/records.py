"""The inquiry log: what one message writes (user, state, inquiry, handoff, feedback, a /xoa
erasure) in one transaction, what is read back of it, and the retention purge."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlalchemy import TextClause, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.database import Database
from bot.store.driver import in_transaction, on_asyncpg, on_sqlite_thread
from bot.store.models import (
    CampaignEvent,
    Conversation,
    ErasedUpdate,
    Erasure,
    Handoff,
    Inquiry,
    User,
    utcnow,
)
from bot.store.statements import HANDOFFS, INQUIRIES, OUTBOX, USERS, DriverStatements, Statements


class Forgotten(Exception):
    """The record belongs to what its user erased (/xoa): a message from before the erasure (a
    journaled one), or a platform update recorded before it and delivered again."""


@dataclass(slots=True)
class TurnRecord:
    """Everything one message writes, in one transaction."""

    user_id: str
    channel: str
    state: dict[str, Any]
    province: str | None
    message_kind: str
    text: str
    normalized: str
    outcome: str
    topic: str
    intent: str
    entry_id: str | None
    confidence: float
    answered: bool
    engine: str
    reply_text: str
    external_id: str | None = None
    campaign: str | None = None
    handoff_question: str | None = None
    feedback_for: int | None = None
    feedback: int | None = None
    delete_user: bool = False
    remember_inquiry: bool = False  # the reply asks for feedback: feedback goes to this inquiry
    handoff_address: str | None = None  # encrypted chat id for the official's reply (bot/addresses.py)
    warning: bool = False  # a warning sign of an illegal broker or scam: a possible fraud report
    enterprise_name: str | None = None  # the company the message named, if any
    received_at: str | None = None  # ISO time the message came in (journaled records keep theirs)
    # How the reply's delivery stands at record time: "pending" (an outbox row goes with the
    # record), "none" (nothing to send), or None (the channel reports it later).
    delivery: str | None = None
    # The durable outbox row written with the record: the encrypted chat address, the rendered
    # reply, and how long the writing process holds it before any process may send it.
    outbox_address: str | None = None
    outbox_messages: list[dict[str, Any]] | None = None
    outbox_lease: float = 0.0
    urgent: bool = False  # a worker abroad in trouble: a handoff made of this message is urgent
    handoff_code: str | None = None  # the ticket code the worker was given for it (bot/tickets.py)


class InquiryLog(Database):
    """The inquiry log and conversation state: one message's record written, and read back."""

    def __init__(self, url: str, pool_size: int = 20) -> None:
        super().__init__(url, pool_size)
        self._statements = Statements()
        self._driver: DriverStatements | None = None  # compiled on first use (the dialect knows its version)

    async def _compiled(self) -> DriverStatements:
        if self._driver is None:
            async with self.engine.connect():  # the dialect learns the server's version on the first connection
                pass
            self._driver = DriverStatements(self._statements, self.engine.dialect)
        return self._driver

    async def load_state(self, user_id: str) -> dict[str, Any]:
        """The stored dialogue state of a user (empty for a new user): one call on the driver (driver.py)."""
        sql = await self._compiled()
        if self.backend == "postgresql":
            args = sql.state.args({"user_id": user_id})
            state = await on_asyncpg(self.engine, lambda conn: conn.fetchval(sql.state.sql, *args))
        else:
            rows = await on_sqlite_thread(self.engine, lambda conn: sql.state.run(conn, {"user_id": user_id}))
            state = rows[0][0] if rows else None
        return dict(sql.read_state(state) or {}) if state is not None else {}

    async def set_state(self, user_id: str, state: dict[str, Any]) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(Conversation).where(Conversation.user_id == user_id).values(state=state, updated_at=utcnow())
            )

    async def record(self, rec: TurnRecord) -> int:
        """Write the user, their new state, the inquiry (and handoff/feedback/deletion): one transaction.

        Statements built once (statements.py), not the ORM, as this runs for every message: a usual
        message (no handoff, no /xoa) is one statement on PostgreSQL (one round trip), one hop to
        the driver's thread on SQLite (driver.py); otherwise upserts and inserts in a transaction
        through SQLAlchemy. A repeated (channel, external_id) raises IntegrityError and
        writes nothing; a record its user has erased since (/xoa) raises Forgotten and writes nothing.
        """
        now = _moment(rec.received_at)
        inquiry = _inquiry_row(rec, now)
        outbox = _outbox_row(rec, now)
        usual = rec.handoff_question is None and not rec.delete_user
        if self.backend == "postgresql" and usual:
            return await self._record_in_one(rec, inquiry, outbox, now)
        if self.backend == "sqlite" and usual:
            return await self._record_on_sqlite(rec, inquiry, outbox, now)
        async with self.engine.begin() as conn:
            await _refuse_erased(conn, self._statements.erased, rec, now)
            if rec.delete_user:
                await self._erase(conn, rec.user_id, now)
            inquiry_id = await self._write_turn(conn, rec, inquiry, outbox, now)
            await _write_handoff_and_feedback(conn, rec, inquiry_id, now)
            return inquiry_id

    async def _record_in_one(
        self, rec: TurnRecord, inquiry: dict[str, Any], outbox: dict[str, Any] | None, now: dt.datetime
    ) -> int:
        """A usual message on PostgreSQL: one statement, without BEGIN … COMMIT around it."""
        params: dict[str, Any] = {
            **inquiry,
            "campaign": rec.campaign,
            "state": rec.state,
            "remember": rec.remember_inquiry,
            "feedback": rec.feedback,
            "feedback_for": rec.feedback_for,
        }
        params.update(outbox or {"address": None, "messages": None, "claimed_until": now})
        sql = await self._compiled()
        args = sql.record_in_one.args(params)
        written = await on_asyncpg(self.engine, lambda conn: conn.fetchval(sql.record_in_one.sql, *args))
        if written is None:
            raise Forgotten(rec.user_id)
        return int(written)

    async def _record_on_sqlite(
        self, rec: TurnRecord, inquiry: dict[str, Any], outbox: dict[str, Any] | None, now: dt.datetime
    ) -> int:
        """A message without a handoff or a /xoa on SQLite: the whole transaction in one hop (driver.py)."""
        sql = await self._compiled()
        user = _user_row(rec, now)
        erased = {"user_id": rec.user_id, "channel": rec.channel, "external_id": rec.external_id}

        def write(conn: sqlite3.Connection) -> int:
            erased_at, seen = sql.erased.run(conn, erased)[0]
            if seen or (erased_at is not None and _moment(str(erased_at)) > now):
                raise Forgotten(rec.user_id)
            inquiry["campaign"] = sql.upsert_user.run(conn, user)[0][0]
            inquiry_id = int(sql.insert_inquiry.run(conn, inquiry)[0][0])
            if outbox is not None:
                sql.insert_outbox.run(conn, {**outbox, "inquiry_id": inquiry_id})
            state = {**rec.state, "last_inquiry": inquiry_id} if rec.remember_inquiry else rec.state
            sql.upsert_conversation.run(conn, {"user_id": rec.user_id, "state": state, "updated_at": now})
            if rec.feedback_for is not None and rec.feedback is not None:
                feedback = {"feedback": rec.feedback, "feedback_for": rec.feedback_for, "user_id": rec.user_id}
                sql.feedback.run(conn, feedback)
            return inquiry_id

        return await on_sqlite_thread(self.engine, in_transaction(write))

    async def _erase(self, conn: AsyncConnection, user_id: str, now: dt.datetime) -> None:
        """A /xoa: the user's updates remembered as erased, the user and all they had deleted, the tombstone."""
        erasure = {"user_id": user_id, "erased_at": now}
        await conn.execute(self._statements.erase_updates, erasure)
        await conn.execute(delete(USERS).where(USERS.c.id == user_id))
        await conn.execute(self._statements.tombstone, erasure)

    async def _write_turn(
        self,
        conn: AsyncConnection,
        rec: TurnRecord,
        inquiry: dict[str, Any],
        outbox: dict[str, Any] | None,
        now: dt.datetime,
    ) -> int:
        """The user, the inquiry (its outbox row) and the new state; the inquiry's id."""
        sql = self._statements
        user = _user_row(rec, now)
        inquiry["campaign"] = (await conn.execute(sql.upsert_user, user)).scalar_one()
        inquiry_id = int((await conn.execute(sql.insert_inquiry, inquiry)).scalar_one())
        if outbox is not None:
            await conn.execute(insert(OUTBOX).values(inquiry_id=inquiry_id, **outbox))
        state = dict(rec.state)
        if rec.remember_inquiry:
            state["last_inquiry"] = inquiry_id
        conversation = {"user_id": rec.user_id, "state": state, "updated_at": now}
        await conn.execute(sql.upsert_conversation, conversation)
        return inquiry_id

    async def inquiries(self, user_id: str | None = None, limit: int = 100) -> list[Inquiry]:
        """The newest inquiries (of one user, if given), newest last."""
        async with self.sessions() as session:
            query = select(Inquiry).order_by(Inquiry.id.desc()).limit(limit)
            if user_id is not None:
                query = query.where(Inquiry.user_id == user_id)
            rows = (await session.execute(query)).scalars().all()
            return list(reversed(rows))

    async def handoffs(self, status: str | None = "open") -> list[Handoff]:
        async with self.sessions() as session:
            query = select(Handoff).order_by(Handoff.id)
            if status is not None:
                query = query.where(Handoff.status == status)
            return list((await session.execute(query)).scalars().all())

    async def count_inquiries(self) -> int:
        async with self.sessions() as session:
            return int((await session.execute(select(func.count(Inquiry.id)))).scalar_one())

    async def has_inquiry(self, channel: str, external_id: str) -> bool:
        """Whether a platform update was recorded before (the deduplication check)."""
        async with self.sessions() as session:
            found = await session.execute(
                select(Inquiry.id).where(Inquiry.channel == channel, Inquiry.external_id == external_id).limit(1)
            )
            return found.first() is not None

    async def purge(self, older_than: dt.timedelta) -> int:
        """Delete everything from workers older than the retention period; returns how many
        inquiries went.

        Inquiries and handoffs (with officials' replies), conversation states not touched since,
        users not seen since (and all they had), landing-page events, and the erasure tombstones
        (a record older than the cutoff would be purged anyway).
        """
        cutoff = utcnow() - older_than
        async with self.sessions.begin() as session:
            await session.execute(delete(User).where(User.last_seen_at < cutoff))
            await session.execute(delete(Conversation).where(Conversation.updated_at < cutoff))
            await session.execute(delete(Handoff).where(Handoff.created_at < cutoff))
            await session.execute(delete(OUTBOX).where(OUTBOX.c.created_at < cutoff))  # replies never sent
            result = await session.execute(delete(Inquiry).where(Inquiry.created_at < cutoff))
            await session.execute(delete(CampaignEvent).where(CampaignEvent.created_at < cutoff))
            await session.execute(delete(Erasure).where(Erasure.erased_at < cutoff))
            await session.execute(delete(ErasedUpdate).where(ErasedUpdate.erased_at < cutoff))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _user_row(rec: TurnRecord, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": rec.user_id,
        "channel": rec.channel,
        "province": rec.province,
        "campaign": rec.campaign,
        "created_at": now,
        "last_seen_at": now,
    }


def _inquiry_row(rec: TurnRecord, now: dt.datetime) -> dict[str, Any]:
    return {
        "user_id": rec.user_id,
        "channel": rec.channel,
        "external_id": rec.external_id,
        "message_kind": rec.message_kind,
        "text": rec.text,
        "normalized": rec.normalized,
        "outcome": rec.outcome,
        "topic": rec.topic,
        "intent": rec.intent,
        "entry_id": rec.entry_id,
        "confidence": rec.confidence,
        "answered": rec.answered,
        "handoff": rec.handoff_question is not None,
        "engine": rec.engine,
        "province": rec.province,
        "reply_text": rec.reply_text,
        "created_at": now,
        "warning": rec.warning,
        "enterprise_name": rec.enterprise_name,
        "delivery": rec.delivery,
    }


def _outbox_row(rec: TurnRecord, now: dt.datetime) -> dict[str, Any] | None:
    """The outbox row written with the record, when the reply waits to be sent."""
    if rec.outbox_address is None or not rec.outbox_messages:
        return None
    return {
        "channel": rec.channel,
        "address": rec.outbox_address,
        "messages": rec.outbox_messages,
        "attempts": 1,
        "claimed_until": now + dt.timedelta(seconds=rec.outbox_lease),
        "created_at": now,
    }


async def _write_handoff_and_feedback(
    conn: AsyncConnection, rec: TurnRecord, inquiry_id: int, now: dt.datetime
) -> None:
    """The request for an official the message made, and the rating it gave an earlier answer."""
    if rec.handoff_question is not None:
        await conn.execute(
            insert(HANDOFFS).values(
                inquiry_id=inquiry_id,
                user_id=rec.user_id,
                channel=rec.channel,
                question=rec.handoff_question,
                created_at=now,
                delivery_address=rec.handoff_address,
                urgent=rec.urgent,
                code=rec.handoff_code,
            )
        )
    if rec.feedback_for is not None and rec.feedback is not None:
        await conn.execute(
            update(INQUIRIES)
            .where(INQUIRIES.c.id == rec.feedback_for, INQUIRIES.c.user_id == rec.user_id)
            .values(feedback=rec.feedback)
        )


def _moment(iso: str | None) -> dt.datetime:
    """When a record's message came in (now, for one without a time)."""
    if not iso:
        return utcnow()
    moment = dt.datetime.fromisoformat(iso)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


async def _refuse_erased(conn: AsyncConnection, statement: TextClause, rec: TurnRecord, at: dt.datetime) -> None:
    """Forgotten if the user erased their data after `at`, or the update was theirs before an erasure."""
    params = {"user_id": rec.user_id, "channel": rec.channel, "external_id": rec.external_id}
    erased, seen = (await conn.execute(statement, params)).one()
    if erased is not None and _moment(str(erased)) > at:
        raise Forgotten(rec.user_id)
    if seen:
        raise Forgotten(rec.user_id)
