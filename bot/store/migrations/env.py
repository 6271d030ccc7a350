"""Alembic environment: runs on the connection the Store hands over, or on LAODONG_DATABASE_URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.admin import models as _admin_models  # noqa: F401  (the dashboard's tables join the metadata)
from bot.announce import models as _announce_models  # noqa: F401  (subscriptions, announcements)
from bot.settings import Settings
from bot.store import kbmodels as _kb_models  # noqa: F401  (the knowledge versions join the metadata)
from bot.store.models import Base
from bot.store.store import async_url

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_settings() -> None:
    engine = create_async_engine(async_url(Settings().database_url), hide_parameters=True)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
elif context.is_offline_mode():
    context.configure(url=async_url(Settings().database_url), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_from_settings())
