"""The statements every message runs, written out once (the hot path of records.py)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Boolean, Table, TextClause, bindparam, insert
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from bot.store.driver import compile_for, result_of
from bot.store.models import Conversation, ErasedUpdate, Erasure, Handoff, Inquiry, OutboxMessage, User

USERS: Table = User.__table__  # type: ignore[assignment]
CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]
INQUIRIES: Table = Inquiry.__table__  # type: ignore[assignment]
HANDOFFS: Table = Handoff.__table__  # type: ignore[assignment]
ERASURES: Table = Erasure.__table__  # type: ignore[assignment]
ERASED_UPDATES: Table = ErasedUpdate.__table__  # type: ignore[assignment]
OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]

# The columns a message's inquiry and outbox rows are written with (records.py builds them).
INQUIRY_KEYS = (
    "user_id", "channel", "external_id", "message_kind", "text", "normalized", "outcome", "topic", "intent",
    "entry_id", "confidence", "answered", "handoff", "engine", "province", "reply_text", "created_at", "warning",
    "enterprise_name", "delivery",
)  # fmt: skip
OUTBOX_KEYS = ("channel", "address", "messages", "attempts", "claimed_until", "created_at")


def _typed(sql: str, *tables: Table, **types: TypeEngine[Any]) -> TextClause:
    """A textual statement whose :name parameters take the type given, or that of the first of
    `tables` with a column of that name."""
    names = dict.fromkeys(re.findall(r"(?<![:\w]):(\w+)", sql))
    for name in names:
        if name not in types:
            types[name] = next(t.c[name].type for t in tables if name in t.c)
    return sql_text(sql).bindparams(*(bindparam(name, type_=types[name]) for name in names))


typed_statement = _typed  # for the other modules that write their hot statements out


class Statements:
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
        self.record_in_one = _record_in_one()
        self.erase_updates, self.erased, self.tombstone = _erasure()


def _record_in_one() -> TextClause:
    """A usual message's whole record in one statement (PostgreSQL)."""
    # PostgreSQL: the usual message (no handoff or deletion) in one statement, one
    # round trip without BEGIN/COMMIT: user, inquiry and conversation in chained CTEs (one
    # statement is one transaction; foreign keys are checked at its end).
    return _typed(
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
        # a rating the message gave the user's own earlier answer
        "), f AS ("
        " UPDATE inquiries SET feedback = :feedback WHERE id = :feedback_for AND user_id = :user_id"
        " AND CAST(:feedback AS smallint) IS NOT NULL AND EXISTS (SELECT 1 FROM i)"
        ") SELECT id FROM i",
        INQUIRIES,
        OUTBOX,
        state=CONVERSATIONS.c.state.type,
        remember=Boolean(),
        campaign=USERS.c.campaign.type,
        feedback_for=INQUIRIES.c.id.type,
    )


def _erasure() -> tuple[TextClause, TextClause, TextClause]:
    """The statements of a /xoa, and the check that a record is not from before one."""
    # A user's /xoa: their platform updates remembered (a redelivery is not recorded again),
    # the tombstone written (the later of two erasures kept).
    erase_updates = _typed(
        "INSERT INTO erased_updates (channel, external_id, erased_at)"
        " SELECT channel, external_id, :erased_at FROM inquiries"
        " WHERE user_id = :user_id AND external_id IS NOT NULL AND external_id NOT LIKE 'j-%'"
        " ON CONFLICT (channel, external_id) DO NOTHING",
        INQUIRIES,
        ERASED_UPDATES,
    )
    erased = _typed(  # one round trip: the user's erasure time, and whether the update was seen
        "SELECT (SELECT erased_at FROM erasures WHERE user_id = :user_id),"
        " EXISTS (SELECT 1 FROM erased_updates WHERE channel = :channel AND external_id = :external_id)",
        ERASED_UPDATES,
        user_id=ERASURES.c.user_id.type,
    )
    tombstone = _typed(
        "INSERT INTO erasures (user_id, erased_at) VALUES (:user_id, :erased_at)"
        " ON CONFLICT (user_id) DO UPDATE SET erased_at = CASE WHEN excluded.erased_at > erasures.erased_at"
        " THEN excluded.erased_at ELSE erasures.erased_at END",
        ERASURES,
    )
    return erase_updates, erased, tombstone


class DriverStatements:
    """The statements of load_state and a message's record, compiled once for the driver (driver.py)."""

    def __init__(self, sql: Statements, dialect: Dialect) -> None:
        state = _typed("SELECT state FROM conversations WHERE user_id = :user_id", CONVERSATIONS)
        self.state = compile_for(state, dialect)
        self.erased = compile_for(sql.erased, dialect)
        self.upsert_user = compile_for(sql.upsert_user, dialect)
        self.insert_inquiry = compile_for(sql.insert_inquiry, dialect, [*INQUIRY_KEYS, "campaign"])
        self.insert_outbox = compile_for(insert(OUTBOX), dialect, [*OUTBOX_KEYS, "inquiry_id"])
        self.upsert_conversation = compile_for(sql.upsert_conversation, dialect)
        self.feedback = compile_for(
            _typed(
                "UPDATE inquiries SET feedback = :feedback WHERE id = :feedback_for AND user_id = :user_id",
                INQUIRIES,
                feedback_for=INQUIRIES.c.id.type,
            ),
            dialect,
        )
        self.record_in_one = compile_for(sql.record_in_one, dialect)
        self.read_state = result_of(CONVERSATIONS.c.state, dialect)  # as SQLAlchemy reads it (JSON text → dict)
