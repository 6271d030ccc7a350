"""handoff ticket codes (a worker's `/ma CODE`), the official's own words in the reply thread,
unanswered questions marked off-topic, and what the dashboard needs at a million inquiries

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=8), nullable=True))
        batch_op.create_index("ix_handoffs_code", ["code"], unique=False)
    with op.batch_alter_table("official_replies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer", sa.Text(), nullable=True))
    op.create_table(
        "overview_days",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("users", sa.LargeBinary(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "day"),
    )
    op.create_table(
        "overview_counts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=96), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in ("n", "q", "a", "up", "down")),
        sa.PrimaryKeyConstraint("key", "day", "dim", "value"),
    )

    if op.get_bind().dialect.name == "postgresql":  # the unanswered queue, newest first
        op.create_index(
            "ix_inquiries_unanswered_id",
            "inquiries",
            ["id"],
            postgresql_where=sa.text("outcome = 'fallback' AND answered IS false AND message_kind = 'text'"),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_inquiries_unanswered_id", table_name="inquiries")
    op.drop_table("overview_counts")
    op.drop_table("overview_days")
    with op.batch_alter_table("official_replies", schema=None) as batch_op:
        batch_op.drop_column("answer")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index("ix_handoffs_code")
        batch_op.drop_column("code")
