"""The hot path on the database driver itself: a message's state read and record without
SQLAlchemy's per-statement machinery, with the statements SQLAlchemy compiled once.

Measured under load: through SQLAlchemy, one statement on PostgreSQL cost ~0.2 ms of the server's
CPU (asyncpg itself: ~0.02 ms); on SQLite every statement was three or four hops between the
event loop and aiosqlite's thread (cursor, execute, fetch, close), and a connection taken and
given back added more, 28 hops for a usual message. Here a read or a whole record is one call
on asyncpg, or one function run on aiosqlite's thread. The statements are compiled by SQLAlchemy
for the dialect, with its own type conversions (datetimes, JSON), so what is written is what
SQLAlchemy would write; errors come out as SQLAlchemy's (IntegrityError for a repeated update; a
dead PostgreSQL connection is found and its pool discarded by SQLAlchemy itself).

The driver connection is used while it is checked out of SQLAlchemy's pool, as SQLAlchemy's
aiosqlite dialect itself queues work on that thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

T = TypeVar("T")
Convert = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Prepared:
    """One statement as the driver takes it: its SQL, and each positional parameter's name and conversion."""

    sql: str
    params: tuple[tuple[str, Convert | None], ...]

    def args(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(values[name] if to is None else to(values[name]) for name, to in self.params)

    def run(self, conn: sqlite3.Connection, values: Mapping[str, Any]) -> list[Any]:
        """Execute on SQLite with these values; the rows it returned."""
        return conn.execute(self.sql, self.args(values)).fetchall()


def compile_for(statement: ClauseElement, dialect: Dialect, keys: list[str] | None = None) -> Prepared:
    """A statement compiled once for the dialect (`keys`: the columns an INSERT is given)."""
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=keys))
    names = compiled.positiontup or []
    params = tuple((name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names)
    return Prepared(compiled.string, params)


def result_of(column: Any, dialect: Dialect) -> Convert:
    """How SQLAlchemy turns a column's value as the driver returns it into Python (JSON text → dict)."""
    convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
    return convert if convert is not None else _same


def _same(value: Any) -> Any:
    return value


@asynccontextmanager
async def _checked_out(engine: AsyncEngine) -> AsyncIterator[PoolProxiedConnection]:
    """A connection held out of SQLAlchemy's pool (without a SQLAlchemy Connection around it), given back after."""
    fairy = await engine.raw_connection()
    try:
        yield fairy
    finally:
        await greenlet_spawn(fairy.close)  # giving it back may roll back: SQLAlchemy's async bridge


async def on_sqlite_thread(engine: AsyncEngine, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run `work` with the SQLite connection, on aiosqlite's thread, in one hop."""
    async with _checked_out(engine) as fairy:
        driver = fairy.driver_connection  # aiosqlite.Connection
        assert driver is not None
        return await driver._execute(_translated, work, driver._conn)  # type: ignore[no-any-return]


def in_transaction(work: Callable[[sqlite3.Connection], T]) -> Callable[[sqlite3.Connection], T]:
    """`work` between BEGIN IMMEDIATE (the write lock first: no deadlock between processes) and
    COMMIT, rolled back if it raises."""

    def transaction(conn: sqlite3.Connection) -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn)
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        return result

    return transaction


def _translated(work: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
    """`work`'s result; a driver error as SQLAlchemy's (without parameters: they hold workers' text)."""
    try:
        return work(conn)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(None, None, exc, sqlite3.Error, hide_parameters=True) from exc


def _lost_connection_errors() -> tuple[type[BaseException], ...]:
    import asyncpg

    return (
        asyncpg.PostgresConnectionError,
        asyncpg.OperatorInterventionError,  # the backend terminated, the server shutting down
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,
        OSError,
        TimeoutError,
    )


async def on_asyncpg(engine: AsyncEngine, work: Callable[[Any], Awaitable[T]]) -> T:
    """Await `work` with a pooled asyncpg connection, outside any transaction (one statement is one).

    A repeated update raises IntegrityError. On any other failure the connection is closed, and
    SQLAlchemy runs a statement of its own: with the server away it raises as it always does (the
    pool discarded, the error marked as the database being away); otherwise the failure is raised
    as a DBAPIError, marked as a lost connection if it was one.
    """
    import asyncpg

    async with _checked_out(engine) as fairy:
        try:
            return await work(fairy.driver_connection)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(None, None, exc, hide_parameters=True) from None
        except Exception as exc:
            failure = exc
            await greenlet_spawn(fairy.invalidate, exc)  # closed, not given back: the pool opens another
    async with engine.connect() as conn:  # SQLAlchemy finds a dead server itself, and discards the pool
        await conn.execute(sql_text("SELECT 1"))
    # The server answers: this one connection was lost (marked so, as SQLAlchemy marks it: the record
    # is journaled), or the statement failed. A backend killed mid-statement shows as the server's
    # shutdown notice or as asyncpg's protocol state broken by it.
    lost = isinstance(failure, _lost_connection_errors())
    raise DBAPIError(None, None, failure, hide_parameters=True, connection_invalidated=lost) from None
