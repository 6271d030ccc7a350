"""The database: one SQLAlchemy async engine (SQLite by default, PostgreSQL in production), and its
schema brought up to date with Alembic. The store's parts (records.py, outbox.py, campaigns.py)
build on it; store.py puts them together."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy import inspect as sql_inspect
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import PoolResetState

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x6C616F646F6E67  # "laodong": the advisory lock that serialises migrations on PostgreSQL


def async_url(url: str) -> str:
    """The async-driver form of a plain SQLAlchemy URL (sqlite → aiosqlite, postgresql → asyncpg)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA secure_delete=ON")  # what /xoa and purge delete is overwritten, not left in free pages
    cursor.close()


def _reset_sqlite(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
    """Roll back as a connection goes back to the pool only when it holds a transaction: the
    rollback is a hop to aiosqlite's thread, twice a message, nearly always for nothing (every
    use ends its own transaction: SQLAlchemy's connections and sessions when closed, driver.py)."""
    if state.asyncio_safe and dbapi_connection.driver_connection.in_transaction:
        dbapi_connection.rollback()


class Database:
    """The engine, its sessions, and the schema's migrations."""

    def __init__(self, url: str, pool_size: int = 20) -> None:
        self.url = url
        parsed = make_url(url)
        self.backend = parsed.get_backend_name()
        sqlite_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
        if sqlite_file:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        # SQLite: one connection. It takes one writer at a time anyway, and a second connection's
        # read-then-write transaction fails at once with "database is locked" under load.
        # PostgreSQL: enough kept-open connections for a webhook burst (overflow ones reconnect each time).
        # No ping before each use (a round trip per statement batch): a connection that died with
        # the server fails its statement, SQLAlchemy then discards the whole pool, and that one
        # message's record goes to the journal (bot/journal.py) like any other outage.
        pool: dict[str, Any] = {"pool_size": pool_size}
        if sqlite_file:  # the reset as the connection goes back to the pool: _reset_sqlite
            pool = {"pool_size": 1, "max_overflow": 0, "pool_reset_on_return": None}
        # hide_parameters: a database error's message (logged) never holds a worker's text.
        self.engine: AsyncEngine = create_async_engine(async_url(url), hide_parameters=True, **pool)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            if sqlite_file:
                event.listen(self.engine.sync_engine.pool, "reset", _reset_sqlite)
            # aiosqlite logs every call with its parameters (workers' text) at DEBUG: never.
            logging.getLogger("aiosqlite").setLevel(logging.INFO)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # One-statement reads and writes on the hot path, without BEGIN … COMMIT/ROLLBACK around them.
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    async def close(self) -> None:
        await self.engine.dispose()

    async def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to `revision` with Alembic (not even imported when already at head)."""
        if revision == "head":
            async with self.engine.connect() as conn:
                if await conn.run_sync(_at_heads, script_heads()):
                    return
        async with self.engine.begin() as conn:
            if self.backend == "postgresql":  # replicas starting together: one migrates, the rest wait
                await conn.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await conn.run_sync(_run_alembic, "upgrade", revision)

    async def downgrade(self, revision: str = "base") -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(_run_alembic, "downgrade", revision)


# A module-level `revision = "…"` or `down_revision: … = …` line of a migration script.
_REVISION_LINE = re.compile(r"^(revision|down_revision)[ \t]*(?::[^=\n]*)?=[ \t]*(.*?)[ \t]*$", re.MULTILINE)


def script_heads(versions: Path = MIGRATIONS_DIR / "versions") -> frozenset[str]:
    """The newest revisions among the migration scripts, from their `revision` and `down_revision` lines.

    Read without Alembic (or parsing the scripts: a line each is enough, ~1 ms in all), for the
    start-up check; empty (so Alembic runs) if a script is not plain: a value that is not a literal
    on its line, or a name assigned twice.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    try:
        for path in versions.glob("*.py"):
            lines = _REVISION_LINE.findall(path.read_text(encoding="utf-8"))
            found: dict[str, Any] = {name: ast.literal_eval(value) for name, value in lines}
            if len(found) != len(lines):
                return frozenset()
            if "revision" not in found:
                continue
            revisions.add(str(found["revision"]))
            down = found.get("down_revision")
            parents.update(str(d) for d in (down if isinstance(down, tuple | list) else [down]) if d)
    except (OSError, SyntaxError, ValueError):
        return frozenset()
    return frozenset(revisions - parents)


def _at_heads(connection: Connection, heads: frozenset[str]) -> bool:
    """Whether the database's Alembic version is exactly these heads."""
    if not heads or not sql_inspect(connection).has_table("alembic_version"):
        return False
    current = {str(v) for v in connection.execute(sql_text("SELECT version_num FROM alembic_version")).scalars()}
    return current == heads


def _run_alembic(connection: Connection, action: str, revision: str) -> None:
    from alembic import command  # Alembic only when the schema is to change (start-up skips it at head)
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(cfg, revision)
    else:
        command.downgrade(cfg, revision)
