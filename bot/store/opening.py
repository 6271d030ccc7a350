"""The one way a command opens the database: from settings, migrated, closed when done."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.settings import Settings
from bot.store.store import Store


def store_for(settings: Settings) -> Store:
    """The store LAODONG_DATABASE_URL names (its pool sized by LAODONG_DB_POOL_SIZE); not yet opened."""
    return Store(settings.database_url, pool_size=settings.db_pool_size)


@asynccontextmanager
async def open_store(settings: Settings, migrate: bool = True) -> AsyncIterator[Store]:
    """The settings' store, brought to the latest schema (unless `migrate` is False), closed after."""
    store = store_for(settings)
    try:
        if migrate:
            await store.migrate()
        yield store
    finally:
        await store.close()
