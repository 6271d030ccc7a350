"""announcements: workers' subscriptions (encrypted address), officials' announcements, and one
delivery row per announcement and subscriber (claimed with a lease, so each goes once)

Revision ID: 0010
Revises: 0009 (pointed at 0008 on the announce branch, to test it alone; the lead re-chains it)
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("province", sa.String(length=32), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("campaign", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_subscriptions_user_id", "subscriptions", ["user_id"])
    op.create_index("ix_subscriptions_cancelled_province", "subscriptions", ["cancelled_at", "province"])
    op.create_table(
        "announcements",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("target_value", sa.String(length=64), nullable=True),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("targets", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "announcement_deliveries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("announcement_id", BIG_ID, nullable=False),
        sa.Column("subscription_id", BIG_ID, nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["announcement_id"], ["announcements.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_announcement_deliveries_state_claimed", "announcement_deliveries", ["state", "claimed_until"])
    op.create_index(
        "ix_announcement_deliveries_announcement_state", "announcement_deliveries", ["announcement_id", "state"]
    )
    op.create_index("ix_announcement_deliveries_subscription", "announcement_deliveries", ["subscription_id"])
    op.create_index(
        "uq_announcement_deliveries_pair",
        "announcement_deliveries",
        ["announcement_id", "subscription_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_table("announcement_deliveries")
    op.drop_table("announcements")
    op.drop_index("ix_subscriptions_cancelled_province", table_name="subscriptions")
    op.drop_index("ix_subscriptions_user_id", table_name="subscriptions")
    op.drop_table("subscriptions")
