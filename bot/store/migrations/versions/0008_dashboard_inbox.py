"""officials' inbox and enterprise list: who took a handoff and who closed it, notices in the
reply thread, enterprise lists awaiting confirmation

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_to", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sa.String(length=64), nullable=True))
    with op.batch_alter_table("official_replies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="reply", nullable=False))
    with op.batch_alter_table("enterprise_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("uploaded_by", sa.String(length=64), nullable=True))
    # Every list imported so far became active when it was imported.
    op.execute("UPDATE enterprise_lists SET activated_at = imported_at")


def downgrade() -> None:
    with op.batch_alter_table("enterprise_lists", schema=None) as batch_op:
        batch_op.drop_column("uploaded_by")
        batch_op.drop_column("activated_at")
    with op.batch_alter_table("official_replies", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_column("closed_by")
        batch_op.drop_column("assigned_at")
        batch_op.drop_column("assigned_to")
