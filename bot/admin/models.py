"""The dashboard's tables (migration 0004), on the store's metadata."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, BigId, Handoff, Inquiry, utcnow

# Keyset paging of the inquiry log with one filter: (column, id) lets the database walk
# the index backwards from the cursor instead of scanning the table.
LOG_FILTER_COLUMNS = ("topic", "channel", "province", "campaign", "answered", "outcome", "feedback")
_inquiries = Inquiry.__table__
LOG_INDEXES = tuple(Index(f"ix_inquiries_{c}_id", _inquiries.c[c], _inquiries.c.id) for c in LOG_FILTER_COLUMNS)
HANDOFF_STATUS_INDEX = Index("ix_handoffs_status_id", Handoff.__table__.c.status, Handoff.__table__.c.id)
# The unanswered queue walks what the bot could not answer, newest first (0011; PostgreSQL, whose
# planner otherwise reads three months of the log by date to find them).
UNANSWERED_PREDICATE = "outcome = 'fallback' AND answered IS false AND message_kind = 'text'"
UNANSWERED_INDEX = Index(
    "ix_inquiries_unanswered_id", _inquiries.c.id, postgresql_where=sql_text(UNANSWERED_PREDICATE)
).ddl_if(dialect="postgresql")


class AdminUser(Base):
    """An official who may sign in to the dashboard."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # viewer, editor, admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AdminSession(Base):
    """A signed-in browser; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "admin_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LoginThrottle(Base):
    """Sign-in attempts counted per username ("user:NAME") or address ("ip:ADDR") in a window.

    Each attempt takes a slot in one atomic upsert before its password is checked, so
    concurrent guesses cannot all slip past the limit; an admin can lift a lock (delete the row).
    """

    __tablename__ = "admin_login_throttles"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """One sign-in attempt, for throttling repeated failures."""

    __tablename__ = "admin_login_attempts"
    __table_args__ = (
        Index("ix_admin_login_attempts_username_created_at", "username", "created_at"),
        Index("ix_admin_login_attempts_ip_created_at", "ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Who exported, replied, curated or changed a user, and when (kept when the user goes)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))


class InquiryReview(Base):
    """An unanswered question an editor dealt with: linked to an entry, or marked handled."""

    __tablename__ = "inquiry_reviews"

    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), primary_key=True)
    action: Mapped[str] = mapped_column(String(16))  # linked, handled, off_topic
    entry_id: Mapped[str | None] = mapped_column(String(96))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OfficialReply(Base):
    """An official's answer to a handoff, as the worker's conversation shows it."""

    __tablename__ = "official_replies"
    __table_args__ = (Index("ix_official_replies_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # The official's own words, without the message around them (0011): what `/ma CODE` shows.
    answer: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    delivery: Mapped[str] = mapped_column(String(16))  # sent, failed, unsent (the request was closed first)
    # reply: an official's answer; notice: the bot telling the worker an official took the request.
    kind: Mapped[str] = mapped_column(String(16), default="reply", server_default="reply")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class OverviewDay(Base):
    """One finished local day summarised under one filter (bot/admin/rollup.py, 0011): when, and
    a HyperLogLog sketch of who asked (no pseudonyms: registers of their hashes)."""

    __tablename__ = "overview_days"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # the filter's hash
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    users: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class OverviewCount(Base):
    """A finished day's counts under one filter, by one dimension's value: topic, channel,
    province, campaign, entry (inquiries only) or warning (value "")."""

    __tablename__ = "overview_counts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    dim: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[str] = mapped_column(String(96), primary_key=True)  # "" for none
    n: Mapped[int] = mapped_column(Integer)
    q: Mapped[int] = mapped_column(Integer)
    a: Mapped[int] = mapped_column(Integer)
    up: Mapped[int] = mapped_column(Integer)
    down: Mapped[int] = mapped_column(Integer)
