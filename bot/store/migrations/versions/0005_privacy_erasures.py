"""/xoa is final: erasure tombstones and the platform updates of erased users

Revision ID: 0005_privacy
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_privacy"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "erased_updates",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "external_id"),
    )
    op.create_index("ix_erased_updates_erased_at", "erased_updates", ["erased_at"])


def downgrade() -> None:
    op.drop_index("ix_erased_updates_erased_at", table_name="erased_updates")
    op.drop_table("erased_updates")
    op.drop_table("erasures")
