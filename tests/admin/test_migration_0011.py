"""Migration 0011 (ticket codes, the official's own words, the overview's stored days, the
unanswered queue's index) on SQLite and PostgreSQL: up, down to before it, up again; the models
match it; a handoff's code survives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.store.models import Base
from bot.store.store import Store
from tests.admin.conftest import turn

MIGRATION = Path(__file__).resolve().parents[2] / "bot/store/migrations/versions/0011_tickets_and_inbox.py"
COLUMNS = {"handoffs": {"code"}, "official_replies": {"answer"}}
TABLES = {"overview_days", "overview_counts"}
NAMES = {"code", "answer", *TABLES, "ix_handoffs_code", "ix_inquiries_unanswered_id"}


def before_0011() -> str:
    namespace: dict[str, Any] = {}
    exec(compile(MIGRATION.read_text(encoding="utf-8"), str(MIGRATION), "exec"), namespace)
    assert namespace["revision"] == "0011"
    return str(namespace["down_revision"])


def _schema(connection: Any) -> tuple[set[str], dict[str, set[str]], set[str]]:
    inspector = inspect(connection)
    columns = {t: {c["name"] for c in inspector.get_columns(t)} for t in COLUMNS}
    indexes = {i["name"] for t in ("handoffs", "inquiries") for i in inspector.get_indexes(t)}
    return set(inspector.get_table_names()), columns, indexes


def _differences(connection: Any) -> list[Any]:
    diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    names = NAMES if connection.dialect.name == "postgresql" else NAMES - {"ix_inquiries_unanswered_id"}  # ddl_if
    return [d for d in diffs if any(f"'{name}'" in repr(d) for name in names)]


async def test_0011_goes_down_and_up(any_store: Store) -> None:
    await any_store.record(turn(outcome="handoff", handoff_question="hỏi cán bộ", handoff_code="K7M2QX"))
    async with any_store.engine.connect() as conn:
        tables, columns, indexes = await conn.run_sync(_schema)
        assert tables >= TABLES and all(cols <= columns[t] for t, cols in COLUMNS.items())
        assert "ix_handoffs_code" in indexes
        assert ("ix_inquiries_unanswered_id" in indexes) == (any_store.engine.dialect.name == "postgresql")
        assert await conn.run_sync(_differences) == []
    await any_store.downgrade(before_0011())
    async with any_store.engine.connect() as conn:
        tables, columns, indexes = await conn.run_sync(_schema)
    assert not tables & TABLES and not any(cols & columns[t] for t, cols in COLUMNS.items())
    assert not {"ix_handoffs_code", "ix_inquiries_unanswered_id"} & indexes
    assert await any_store.count_inquiries() == 1  # the log (and the request) stay
    await any_store.migrate()
    async with any_store.engine.connect() as conn:
        assert await conn.run_sync(_differences) == []
    await any_store.record(turn(user="u2", outcome="handoff", handoff_question="lần hai", handoff_code="P3R8ZZ"))
    assert [h.code for h in await any_store.handoffs()] == [None, "P3R8ZZ"]
