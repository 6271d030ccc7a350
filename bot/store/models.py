"""The inquiry log and conversation state (SQLAlchemy 2 models)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    """A worker, known only by a keyed hash of channel and platform id."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    province: Mapped[str | None] = mapped_column(String(32))
    campaign: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Conversation(Base):
    """The dialogue state of one user, so any bot process can take the next message."""

    __tablename__ = "conversations"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Inquiry(Base):
    """One record per incoming message, whatever happened to it."""

    __tablename__ = "inquiries"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_inquiries_channel_external_id"),
        Index("ix_inquiries_created_at", "created_at"),
        Index("ix_inquiries_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(64))
    message_kind: Mapped[str] = mapped_column(String(16), default="text")
    text: Mapped[str] = mapped_column(Text, default="")
    normalized: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(24))
    topic: Mapped[str] = mapped_column(String(24))
    intent: Mapped[str] = mapped_column(String(96))
    entry_id: Mapped[str | None] = mapped_column(String(96))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    handoff: Mapped[bool] = mapped_column(Boolean, default=False)
    engine: Mapped[str] = mapped_column(String(16), default="embedded")
    campaign: Mapped[str | None] = mapped_column(String(64))
    province: Mapped[str | None] = mapped_column(String(32))
    reply_text: Mapped[str] = mapped_column(Text, default="")
    feedback: Mapped[int | None] = mapped_column(SmallInteger)
    delivery: Mapped[str | None] = mapped_column(String(16))
    # A warning sign of an illegal broker or scam (actions/brokers.py): a possible fraud report
    # for officials, with the company the message named (listed name, or as the worker typed it).
    warning: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    enterprise_name: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Handoff(Base):
    """A worker's request to be answered by an official."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_status_urgent", "status", "urgent"),
        Index("ix_handoffs_code", "code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    question: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    answer_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Where to send the official's reply (the platform chat id), encrypted; cleared when the
    # handoff is closed, and gone with the row when the user deletes their data (bot/delivery.py).
    delivery_address: Mapped[str | None] = mapped_column(Text)
    # A worker already abroad in trouble (actions/brokers.py trouble_abroad): first in the inbox.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The official answering it ("Tôi trả lời yêu cầu này"), and who closed it (migration 0008).
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    assigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(64))
    # The ticket code the worker was given (bot/tickets.py): `/ma CODE` shows them its status (0011).
    code: Mapped[str | None] = mapped_column(String(8))


class Erasure(Base):
    """A user's /xoa: what they had is gone, and nothing older than this may be written again
    (a journaled record, a redelivered update). Kept for the retention period, then purged."""

    __tablename__ = "erasures"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the pseudonym, not a foreign key
    erased_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ErasedUpdate(Base):
    """A platform update of a user who erased their data: a redelivery of it is not recorded again."""

    __tablename__ = "erased_updates"
    __table_args__ = (Index("ix_erased_updates_erased_at", "erased_at"),)

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class OutboxMessage(Base):
    """A reply not yet sent: written with its inquiry, deleted (address and text) once sent or given up.

    `address` is the platform chat id, encrypted like a handoff's (bot/addresses.py);
    `messages` the rendered reply (text, buttons, parse mode). A process sending it holds it
    until `claimed_until`; after that, any process (a restarted one too) may claim it.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_channel_claimed_until", "channel", "claimed_until"),
        Index("ix_outbox_inquiry_id", "inquiry_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    inquiry_id: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(Text)
    messages: Mapped[list[Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claimed_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Campaign(Base):
    """An outreach campaign (deep links, QR codes) that brings workers to the bot."""

    __tablename__ = "campaigns"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CampaignEvent(Base):
    """A campaign touch that is not an inquiry: a landing-page click, or a start with an unknown code."""

    __tablename__ = "campaign_events"
    __table_args__ = (Index("ix_campaign_events_code_kind", "code", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # click, unknown
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EnterpriseList(Base):
    """One import of the official list of enterprises licensed to send workers abroad."""

    __tablename__ = "enterprise_lists"
    __table_args__ = (
        # At most one active list: a re-import flips the flag in the same transaction.
        Index(
            "uq_enterprise_lists_active",
            "active",
            unique=True,
            sqlite_where=sql_text("active"),
            postgresql_where=sql_text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    list_date: Mapped[dt.date] = mapped_column(Date)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source: Mapped[str] = mapped_column(String(255))  # the file's name
    row_count: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    # When it last became the active list (None: uploaded, awaiting an official's confirmation).
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    uploaded_by: Mapped[str | None] = mapped_column(String(64))


class Enterprise(Base):
    """An enterprise of one list, with its folded name for matching."""

    __tablename__ = "enterprises"
    __table_args__ = (Index("ix_enterprises_list_id", "list_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("enterprise_lists.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300))
    licence_no: Mapped[str] = mapped_column(String(64))
    licence_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # active, suspended, revoked


# The officials' list of possible fraud reports walks this index (newest first).
WARNING_INDEX = Index("ix_inquiries_warning_id", Inquiry.__table__.c.warning, Inquiry.__table__.c.id)
