"""The store: one SQLAlchemy async engine, SQLite by default, PostgreSQL in production."""

from __future__ import annotations

import ast
import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Select, Table, TextClause, bindparam, delete, event, func, insert, select, update
from sqlalchemy import inspect as sql_inspect
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeEngine

from bot.store.models import (
    Campaign,
    CampaignEvent,
    Conversation,
    ErasedUpdate,
    Erasure,
    Handoff,
    Inquiry,
    OutboxMessage,
    User,
    utcnow,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x6C616F646F6E67  # "laodong": the advisory lock that serialises migrations on PostgreSQL
USERS: Table = User.__table__  # type: ignore[assignment]
CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]
INQUIRIES: Table = Inquiry.__table__  # type: ignore[assignment]
HANDOFFS: Table = Handoff.__table__  # type: ignore[assignment]
ERASURES: Table = Erasure.__table__  # type: ignore[assignment]
ERASED_UPDATES: Table = ErasedUpdate.__table__  # type: ignore[assignment]


class Forgotten(Exception):
    """The record belongs to what its user erased (/xoa): a message from before the erasure (a
    journaled one), or a platform update recorded before it and delivered again."""


OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]


def async_url(url: str) -> str:
    """The async-driver form of a plain SQLAlchemy URL (sqlite → aiosqlite, postgresql → asyncpg)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA secure_delete=ON")  # what /xoa and purge delete is overwritten, not left in free pages
    cursor.close()


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


def _typed(sql: str, *tables: Table, **types: TypeEngine[Any]) -> TextClause:
    """A textual statement whose :name parameters take the type given, or that of the first of
    `tables` with a column of that name."""
    names = dict.fromkeys(re.findall(r"(?<![:\w]):(\w+)", sql))
    for name in names:
        if name not in types:
            types[name] = next(t.c[name].type for t in tables if name in t.c)
    return sql_text(sql).bindparams(*(bindparam(name, type_=types[name]) for name in names))


typed_statement = _typed  # for the other modules that write their hot statements out


class _Statements:
    """The statements every message runs, built once.

    The upserts are written out: SQLAlchemy does not cache the SQL of INSERT … ON CONFLICT
    constructs and compiled them for every message (~6 % of the server's CPU under load).
    PostgreSQL and SQLite (3.35+) both take this SQL as it is.
    """

    def __init__(self) -> None:
        self.upsert_user = _typed(
            "INSERT INTO users (id, channel, province, campaign, created_at, last_seen_at)"
            " VALUES (:id, :channel, :province, :campaign, :created_at, :last_seen_at)"
            " ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at, province = excluded.province,"
            " campaign = coalesce(users.campaign, excluded.campaign)"  # first touch
            " RETURNING campaign",
            USERS,
        )
        self.insert_inquiry = insert(INQUIRIES).returning(INQUIRIES.c.id)
        self.upsert_conversation = _typed(
            "INSERT INTO conversations (user_id, state, version, updated_at)"
            " VALUES (:user_id, :state, 1, :updated_at)"
            " ON CONFLICT (user_id) DO UPDATE SET state = excluded.state,"
            " version = conversations.version + 1, updated_at = excluded.updated_at",
            CONVERSATIONS,
        )
        # PostgreSQL: the usual message (no handoff, feedback or deletion) in one statement, one
        # round trip without BEGIN/COMMIT: user, inquiry and conversation in chained CTEs (one
        # statement is one transaction; foreign keys are checked at its end).
        self.record_in_one = _typed(
            "WITH u AS ("
            " INSERT INTO users (id, channel, province, campaign, created_at, last_seen_at)"
            " SELECT :user_id, :channel, :province, :campaign, :created_at, :created_at"
            # /xoa is final: nothing from before a user's erasure, no update of theirs seen before it
            " WHERE NOT EXISTS (SELECT 1 FROM erasures e WHERE e.user_id = :user_id AND e.erased_at > :created_at)"
            " AND NOT EXISTS (SELECT 1 FROM erased_updates x"
            " WHERE x.channel = :channel AND x.external_id = :external_id)"
            " ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at, province = excluded.province,"
            " campaign = coalesce(users.campaign, excluded.campaign)"
            " RETURNING campaign"
            "), i AS ("
            " INSERT INTO inquiries (user_id, channel, external_id, message_kind, text, normalized, outcome,"
            " topic, intent, entry_id, confidence, answered, handoff, engine, province, reply_text, created_at,"
            " warning, enterprise_name, campaign, delivery)"
            " SELECT :user_id, :channel, :external_id, :message_kind, :text, :normalized, :outcome,"
            " :topic, :intent, :entry_id, :confidence, :answered, :handoff, :engine, :province, :reply_text,"
            " :created_at, :warning, :enterprise_name, u.campaign, :delivery FROM u"
            " RETURNING id"
            "), o AS ("
            " INSERT INTO outbox (inquiry_id, channel, address, messages, attempts, claimed_until, created_at)"
            " SELECT i.id, :channel, :address, CAST(:messages AS json), 1, :claimed_until, :created_at"
            " FROM i WHERE CAST(:address AS text) IS NOT NULL"
            "), c AS ("
            " INSERT INTO conversations (user_id, state, version, updated_at)"
            " SELECT :user_id, CASE WHEN :remember"
            " THEN CAST(CAST(:state AS jsonb) || jsonb_build_object('last_inquiry', i.id) AS json)"
            " ELSE CAST(:state AS json) END, 1, :created_at FROM i"
            " ON CONFLICT (user_id) DO UPDATE SET state = excluded.state,"
            " version = conversations.version + 1, updated_at = excluded.updated_at"
            ") SELECT id FROM i",
            INQUIRIES,
            OUTBOX,
            state=CONVERSATIONS.c.state.type,
            remember=Boolean(),
            campaign=USERS.c.campaign.type,
        )
        # A user's /xoa: their platform updates remembered (a redelivery is not recorded again),
        # the tombstone written (the later of two erasures kept).
        self.erase_updates = _typed(
            "INSERT INTO erased_updates (channel, external_id, erased_at)"
            " SELECT channel, external_id, :erased_at FROM inquiries"
            " WHERE user_id = :user_id AND external_id IS NOT NULL AND external_id NOT LIKE 'j-%'"
            " ON CONFLICT (channel, external_id) DO NOTHING",
            INQUIRIES,
            ERASED_UPDATES,
        )
        self.erased = _typed(  # one round trip: the user's erasure time, and whether the update was seen
            "SELECT (SELECT erased_at FROM erasures WHERE user_id = :user_id),"
            " EXISTS (SELECT 1 FROM erased_updates WHERE channel = :channel AND external_id = :external_id)",
            ERASED_UPDATES,
            user_id=ERASURES.c.user_id.type,
        )
        self.tombstone = _typed(
            "INSERT INTO erasures (user_id, erased_at) VALUES (:user_id, :erased_at)"
            " ON CONFLICT (user_id) DO UPDATE SET erased_at = CASE WHEN excluded.erased_at > erasures.erased_at"
            " THEN excluded.erased_at ELSE erasures.erased_at END",
            ERASURES,
        )


@dataclass(frozen=True, slots=True)
class OutboxClaim:
    """An unsent reply this process now holds: the encrypted chat address and the rendered messages."""

    id: int
    inquiry_id: int
    address: str
    messages: list[dict[str, Any]]
    attempts: int


@dataclass(frozen=True, slots=True)
class CampaignStats:
    """How far one campaign reached."""

    code: str
    name: str
    province: str | None
    clicks: int = 0
    users: int = 0
    inquiries: int = 0


class Store:
    """Async access to the inquiry log and conversation state."""

    def __init__(self, url: str, pool_size: int = 20) -> None:
        self.url = url
        parsed = make_url(url)
        self.backend = parsed.get_backend_name()
        sqlite_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
        if sqlite_file:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        # SQLite: one connection. It takes one writer at a time anyway, and a second connection's
        # read-then-write transaction fails at once with "database is locked" under load.
        # PostgreSQL: enough kept-open connections for a webhook burst (overflow ones reconnect each time).
        # No ping before each use (a round trip per statement batch): a connection that died with
        # the server fails its statement, SQLAlchemy then discards the whole pool, and that one
        # message's record goes to the journal (bot/journal.py) like any other outage.
        pool: dict[str, Any] = {"pool_size": 1, "max_overflow": 0} if sqlite_file else {"pool_size": pool_size}
        # hide_parameters: a database error's message (logged) never holds a worker's text.
        self.engine: AsyncEngine = create_async_engine(async_url(url), hide_parameters=True, **pool)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            # aiosqlite logs every call with its parameters (workers' text) at DEBUG: never.
            logging.getLogger("aiosqlite").setLevel(logging.INFO)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._statements = _Statements()
        # One-statement reads and writes on the hot path, without BEGIN … COMMIT/ROLLBACK around them.
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    async def close(self) -> None:
        await self.engine.dispose()

    async def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to `revision` with Alembic (not even imported when already at head)."""
        if revision == "head":
            async with self.engine.connect() as conn:
                if await conn.run_sync(_at_heads, script_heads()):
                    return
        async with self.engine.begin() as conn:
            if self.backend == "postgresql":  # replicas starting together: one migrates, the rest wait
                await conn.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await conn.run_sync(_run_alembic, "upgrade", revision)

    async def downgrade(self, revision: str = "base") -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(_run_alembic, "downgrade", revision)

    async def load_state(self, user_id: str) -> dict[str, Any]:
        """The stored dialogue state of a user (empty for a new user)."""
        async with self._autocommit.connect() as conn:
            state = await conn.scalar(select(CONVERSATIONS.c.state).where(CONVERSATIONS.c.user_id == user_id))
            return dict(state or {})

    async def first_campaign(self, user_id: str) -> str | None:
        """The campaign that first brought a user (first touch), if any."""
        async with self.sessions() as session:
            return await session.scalar(select(User.campaign).where(User.id == user_id))

    async def record(self, rec: TurnRecord) -> int:
        """Write the user, their new state, the inquiry (and handoff/feedback/deletion): one transaction.

        Statements built once (_Statements), not the ORM, as this runs for every message: on
        PostgreSQL a usual message is one statement (one round trip); otherwise three upserts and
        inserts in a transaction. A repeated (channel, external_id) raises IntegrityError and
        writes nothing; a record its user has erased since (/xoa) raises Forgotten and writes nothing.
        """
        now = _moment(rec.received_at)
        sql = self._statements
        inquiry = {
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
        outbox = None
        if rec.outbox_address is not None and rec.outbox_messages:
            outbox = {
                "channel": rec.channel,
                "address": rec.outbox_address,
                "messages": rec.outbox_messages,
                "attempts": 1,
                "claimed_until": now + dt.timedelta(seconds=rec.outbox_lease),
                "created_at": now,
            }
        usual = (
            rec.handoff_question is None and not rec.delete_user and (rec.feedback_for is None or rec.feedback is None)
        )
        if self.backend == "postgresql" and usual:
            params: dict[str, Any] = {
                **inquiry,
                "campaign": rec.campaign,
                "state": rec.state,
                "remember": rec.remember_inquiry,
            }
            params.update(outbox or {"address": None, "messages": None, "claimed_until": now})
            async with self._autocommit.connect() as conn:
                written = (await conn.execute(sql.record_in_one, params)).scalar_one_or_none()
            if written is None:
                raise Forgotten(rec.user_id)
            return int(written)
        async with self.engine.begin() as conn:
            await _refuse_erased(conn, sql.erased, rec, now)
            if rec.delete_user:
                erasure = {"user_id": rec.user_id, "erased_at": now}
                await conn.execute(sql.erase_updates, erasure)
                await conn.execute(delete(USERS).where(USERS.c.id == rec.user_id))
                await conn.execute(sql.tombstone, erasure)
            user = {
                "id": rec.user_id,
                "channel": rec.channel,
                "province": rec.province,
                "campaign": rec.campaign,
                "created_at": now,
                "last_seen_at": now,
            }
            inquiry["campaign"] = (await conn.execute(sql.upsert_user, user)).scalar_one()
            inquiry_id = int((await conn.execute(sql.insert_inquiry, inquiry)).scalar_one())
            if outbox is not None:
                await conn.execute(insert(OUTBOX).values(inquiry_id=inquiry_id, **outbox))
            state = dict(rec.state)
            if rec.remember_inquiry:
                state["last_inquiry"] = inquiry_id
            conversation = {"user_id": rec.user_id, "state": state, "updated_at": now}
            await conn.execute(sql.upsert_conversation, conversation)
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
            return inquiry_id

    async def set_state(self, user_id: str, state: dict[str, Any]) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(Conversation).where(Conversation.user_id == user_id).values(state=state, updated_at=utcnow())
            )

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

    async def add_campaign(self, code: str, name: str, province: str | None) -> None:
        async with self.sessions.begin() as session:
            session.add(Campaign(code=code, name=name, province=province))

    async def has_inquiry(self, channel: str, external_id: str) -> bool:
        """Whether a platform update was recorded before (the deduplication check)."""
        async with self.sessions() as session:
            found = await session.execute(
                select(Inquiry.id).where(Inquiry.channel == channel, Inquiry.external_id == external_id).limit(1)
            )
            return found.first() is not None

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

    async def campaign(self, code: str, ignore_case: bool = False) -> Campaign | None:
        """The campaign with this code (typed codes match whatever their case)."""
        async with self.sessions() as session:
            if not ignore_case:
                return await session.get(Campaign, code)
            found = await session.execute(select(Campaign).where(func.lower(Campaign.code) == code.lower()).limit(1))
            return found.scalars().first()

    async def campaign_event(self, code: str, kind: str, channel: str) -> None:
        """Count a landing-page click or an unknown start code."""
        async with self.sessions.begin() as session:
            session.add(CampaignEvent(code=code[:64], kind=kind, channel=channel, created_at=utcnow()))

    async def campaign_stats(self) -> list[CampaignStats]:
        """Every campaign with its clicks, users and inquiries."""
        clicks = select(CampaignEvent.code, func.count()).where(CampaignEvent.kind == "click")
        async with self.sessions() as session:
            campaigns = (await session.execute(select(Campaign).order_by(Campaign.created_at))).scalars().all()
            by_clicks = await _counts(session, clicks.group_by(CampaignEvent.code))
            by_users = await _counts(session, select(User.campaign, func.count()).group_by(User.campaign))
            by_inquiries = await _counts(session, select(Inquiry.campaign, func.count()).group_by(Inquiry.campaign))
        return [
            CampaignStats(
                code=c.code,
                name=c.name,
                province=c.province,
                clicks=by_clicks.get(c.code, 0),
                users=by_users.get(c.code, 0),
                inquiries=by_inquiries.get(c.code, 0),
            )
            for c in campaigns
        ]

    async def unknown_campaign_codes(self) -> dict[str, int]:
        """Codes people started with or clicked that name no campaign, with how often."""
        query = select(CampaignEvent.code, func.count()).where(CampaignEvent.kind == "unknown")
        async with self.sessions() as session:
            return await _counts(session, query.group_by(CampaignEvent.code))

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


async def _counts(session: AsyncSession, query: Select[Any]) -> dict[str, int]:
    """A {key: count} mapping from a two-column GROUP BY query (NULL keys left out)."""
    rows = (await session.execute(query)).tuples().all()
    return {key: int(n) for key, n in rows if key is not None}


def script_heads(versions: Path = MIGRATIONS_DIR / "versions") -> frozenset[str]:
    """The newest revisions among the migration scripts, from their `revision` and `down_revision` lines.

    Read without Alembic, for the start-up check; empty (so Alembic runs) if a script is not plain.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    try:
        for path in versions.glob("*.py"):
            found: dict[str, Any] = {}
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target, value = node.targets[0], node.value
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    target, value = node.target, node.value
                else:
                    continue
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    found[target.id] = ast.literal_eval(value)
            if "revision" not in found:
                continue
            revisions.add(str(found["revision"]))
            down = found.get("down_revision")
            parents.update(str(d) for d in (down if isinstance(down, tuple | list) else [down]) if d)
    except (OSError, SyntaxError, ValueError):
        return frozenset()
    return frozenset(revisions - parents)


def _at_heads(connection: Connection, heads: frozenset[str]) -> bool:
    """Whether the database's Alembic version is exactly these heads."""
    if not heads or not sql_inspect(connection).has_table("alembic_version"):
        return False
    current = {str(v) for v in connection.execute(sql_text("SELECT version_num FROM alembic_version")).scalars()}
    return current == heads


def _run_alembic(connection: Connection, action: str, revision: str) -> None:
    from alembic import command  # Alembic only when the schema is to change (start-up skips it at head)
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(cfg, revision)
    else:
        command.downgrade(cfg, revision)
