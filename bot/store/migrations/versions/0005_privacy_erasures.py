"""/xoa is final: erasure tombstones and the platform updates of erased users; what was stored
before the privacy boundary masked every format (bot/privacy.py) is masked now

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from bot.privacy import redact_all

revision = "0005"
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
    redact_stored_text(op.get_bind())


# The columns that hold what workers typed (or text made from it), by table and key.
TEXT_COLUMNS = {
    ("inquiries", "id"): ("text", "normalized", "reply_text", "enterprise_name"),
    ("handoffs", "id"): ("question",),
    ("campaign_events", "id"): ("code",),
}
BATCH = 1000


def redact_stored_text(conn: sa.Connection) -> None:
    """Mask, in rows written before this version, what the patterns of the time let through."""
    meta = sa.MetaData()
    for (name, key), columns in TEXT_COLUMNS.items():
        table = sa.Table(name, meta, autoload_with=conn)
        _redact_table(conn, table, table.c[key], [table.c[c] for c in columns])
    conversations = sa.Table("conversations", meta, autoload_with=conn)
    _redact_table(conn, conversations, conversations.c.user_id, [conversations.c.state])


def _redact_table(conn: sa.Connection, table: sa.Table, key: sa.Column[Any], columns: list[sa.Column[Any]]) -> None:
    last: Any = None
    while True:
        query = sa.select(key, *columns).order_by(key).limit(BATCH)
        rows = conn.execute(query if last is None else query.where(key > last)).all()
        for row in rows:
            masked = {c.name: (v, redact_all(v)) for c, v in zip(columns, row[1:], strict=True) if v is not None}
            changed = {name: new for name, (old, new) in masked.items() if new != old}
            if changed:
                conn.execute(sa.update(table).where(key == row[0]).values(**changed))
        if len(rows) < BATCH:
            return
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_erased_updates_erased_at", table_name="erased_updates")
    op.drop_table("erased_updates")
    op.drop_table("erasures")
