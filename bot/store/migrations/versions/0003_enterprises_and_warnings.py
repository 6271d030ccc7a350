"""licensed enterprises (the official list, re-imported atomically) and warning flags on inquiries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "enterprise_lists",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("list_date", sa.Date(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("enterprise_lists", schema=None) as batch_op:
        batch_op.create_index(
            "uq_enterprise_lists_active",
            ["active"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )

    op.create_table(
        "enterprises",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("list_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("licence_no", sa.String(length=64), nullable=False),
        sa.Column("licence_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["list_id"], ["enterprise_lists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.create_index("ix_enterprises_list_id", ["list_id"], unique=False)

    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warning", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("enterprise_name", sa.String(length=300), nullable=True))
        batch_op.create_index("ix_inquiries_warning_id", ["warning", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiries_warning_id")
        batch_op.drop_column("enterprise_name")
        batch_op.drop_column("warning")

    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprises_list_id")
    op.drop_table("enterprises")

    with op.batch_alter_table("enterprise_lists", schema=None) as batch_op:
        batch_op.drop_index("uq_enterprise_lists_active")
    op.drop_table("enterprise_lists")
