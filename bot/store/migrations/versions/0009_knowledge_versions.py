"""knowledge in the database: published versions (whole folders, files shared by hash) and drafts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "kb_blobs",
        sa.Column("sha256", sa.String(length=64), primary_key=True),
        sa.Column("content", sa.Text(), nullable=False),
    )
    op.create_table(
        "kb_versions",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("parent_id", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("tree_hash", sa.String(length=64), nullable=False),
        sa.Column("restores", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "kb_version_files",
        sa.Column("version_id", _ID, sa.ForeignKey("kb_versions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("path", sa.String(length=255), primary_key=True),
        sa.Column("sha256", sa.String(length=64), sa.ForeignKey("kb_blobs.sha256"), nullable=False),
    )
    op.create_table(
        "kb_drafts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("base_version", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=True),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("base_files", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version_id", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_kb_drafts_status", "kb_drafts", ["status"])


def downgrade() -> None:
    op.drop_index("ix_kb_drafts_status", table_name="kb_drafts")
    op.drop_table("kb_drafts")
    op.drop_table("kb_version_files")
    op.drop_table("kb_versions")
    op.drop_table("kb_blobs")
