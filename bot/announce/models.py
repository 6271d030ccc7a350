"""Subscriptions, announcements and their deliveries (migration 0010)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, BigId, utcnow


class Subscription(Base):
    """A worker who asked for announcements (/dangky), known by the keyed hash like everywhere else.

    `address` is the platform chat id, Fernet-encrypted as a handoff's (bot/addresses.py); it
    is erased when the worker stops (/huy: the row stays, cancelled, for the counts) and the row
    goes with the user on /xoa and purge (cascade). The web chat needs no address: it collects
    announcements when it polls.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index("ix_subscriptions_user_id", "user_id"),
        Index("ix_subscriptions_cancelled_province", "cancelled_at", "province"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(Text)
    province: Mapped[str | None] = mapped_column(String(32))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    campaign: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Announcement(Base):
    """What officials send to subscribers: to all, a province, a topic or a campaign's workers."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(16), default="all")  # all, province, topic, campaign
    target_value: Mapped[str | None] = mapped_column(String(64))
    send_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # scheduled (deliveries not made yet), sending, done, cancelled
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    targets: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AnnouncementDelivery(Base):
    """One announcement to one subscriber: claimed by a process for a lease, then sent, failed,
    blocked (the worker blocked the bot) or unsubscribed (they left before it went)."""

    __tablename__ = "announcement_deliveries"
    __table_args__ = (
        Index("ix_announcement_deliveries_state_claimed", "state", "claimed_until"),
        Index("ix_announcement_deliveries_announcement_state", "announcement_id", "state"),
        Index("ix_announcement_deliveries_subscription", "subscription_id"),
        Index("uq_announcement_deliveries_pair", "announcement_id", "subscription_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id", ondelete="CASCADE"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


TABLE_NAMES = ("subscriptions", "announcements", "announcement_deliveries")


def as_row(obj: Any) -> dict[str, Any]:
    """A model instance's columns as a dict (for JSON and the dashboard)."""
    return {c.name: getattr(obj, c.name) for c in obj.__table__.columns}
