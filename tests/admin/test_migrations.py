"""Migration 0004 on SQLite and on the real PostgreSQL server: up, down, up; the models match it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.admin import models
from bot.store.models import Base
from bot.store.store import Store
from tests.admin.conftest import turn

ADMIN_TABLES = {
    "admin_users",
    "admin_sessions",
    "admin_login_attempts",
    "audit_log",
    "inquiry_reviews",
    "official_replies",
}
MIGRATION = Path(__file__).resolve().parents[2] / "bot/store/migrations/versions/0004_admin_dashboard.py"


def down_revision() -> str:
    namespace: dict[str, Any] = {}
    exec(compile(MIGRATION.read_text(encoding="utf-8"), str(MIGRATION), "exec"), namespace)
    assert namespace["revision"] == "0004"
    return str(namespace["down_revision"])


def _schema(connection: Any) -> tuple[set[str], set[str], set[str]]:
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    indexes = {i["name"] for i in inspector.get_indexes("inquiries")} if "inquiries" in tables else set()
    columns = {c["name"] for c in inspector.get_columns("handoffs")} if "handoffs" in tables else set()
    return tables, indexes, columns


def _differences(connection: Any) -> list[Any]:
    """What autogenerate would change about the dashboard's tables, columns and indexes."""
    mine = [*ADMIN_TABLES, "delivery_address", "ix_handoffs_status_id", *(ix.name for ix in models.LOG_INDEXES)]
    diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [d for d in diffs if any(f"'{name}'" in repr(d) for name in mine)]


async def test_the_dashboard_migration_goes_down_and_up(any_store: Store) -> None:
    await any_store.record(turn(handoff_question="hỏi", outcome="handoff"))
    async with any_store.engine.connect() as conn:
        tables, indexes, columns = await conn.run_sync(_schema)
        assert tables >= ADMIN_TABLES
        assert {ix.name for ix in models.LOG_INDEXES} <= indexes
        assert "delivery_address" in columns
        assert await conn.run_sync(_differences) == []
        version = (await conn.execute(text("select version_num from alembic_version"))).scalar_one()
    await any_store.downgrade(down_revision())
    async with any_store.engine.connect() as conn:
        tables, indexes, columns = await conn.run_sync(_schema)
    assert not tables & ADMIN_TABLES and not {ix.name for ix in models.LOG_INDEXES} & indexes
    assert "delivery_address" not in columns and "handoffs" in tables
    assert await any_store.count_inquiries() == 1  # the log survives the dashboard going
    await any_store.migrate()
    async with any_store.engine.connect() as conn:
        assert (await conn.run_sync(_schema))[0] >= ADMIN_TABLES
        assert (await conn.execute(text("select version_num from alembic_version"))).scalar_one() == version


INBOX_COLUMNS = {"handoffs": {"assigned_to", "assigned_at", "closed_by"}, "official_replies": {"kind"}}
INBOX_COLUMNS["enterprise_lists"] = {"activated_at", "uploaded_by"}


def _columns(connection: Any) -> dict[str, set[str]]:
    inspector = inspect(connection)
    return {t: {c["name"] for c in inspector.get_columns(t)} for t in INBOX_COLUMNS}


def _inbox_differences(connection: Any) -> list[Any]:
    names = {c for cols in INBOX_COLUMNS.values() for c in cols}
    diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [d for d in diffs if any(f"'{name}'" in repr(d) for name in names)]


async def test_the_inbox_migration_goes_down_and_up(any_store: Store) -> None:
    async with any_store.engine.connect() as conn:
        found = await conn.run_sync(_columns)
        assert all(cols <= found[t] for t, cols in INBOX_COLUMNS.items())
        assert await conn.run_sync(_inbox_differences) == []
    await any_store.downgrade("0004")
    async with any_store.engine.connect() as conn:
        found = await conn.run_sync(_columns)
    assert not any(cols & found[t] for t, cols in INBOX_COLUMNS.items())
    await any_store.migrate()
    async with any_store.engine.connect() as conn:
        assert await conn.run_sync(_inbox_differences) == []
