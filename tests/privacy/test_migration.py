"""Migration 0005: the erasure tables, and what was stored before in clear masked on the way up."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select
from sqlalchemy import text as sql_text

from bot.store.models import Base, CampaignEvent, Conversation, Inquiry, User, utcnow
from bot.store.store import Store
from tests.privacy.canaries import CCCD, EMAIL, PHONE, every_text_in, leaks


def _differences(connection: Any) -> list[Any]:
    diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [d for d in diffs if "erasures" in repr(d) or "erased_updates" in repr(d)]


async def test_the_migration_masks_what_was_kept_in_clear_and_goes_down_and_up(any_store: Store) -> None:
    await any_store.downgrade("0004")
    now = utcnow()
    raw = f"cccd {CCCD} sdt {PHONE} mail {EMAIL}"
    async with any_store.engine.begin() as conn:
        await conn.execute(insert(User.__table__).values(id="u1", channel="telegram", created_at=now, last_seen_at=now))
        state = {"pending": {"kind": "handoff", "question": raw}, "options": []}
        await conn.execute(insert(Conversation.__table__).values(user_id="u1", state=state, version=1, updated_at=now))
        inquiry = await conn.execute(
            insert(Inquiry.__table__)
            .values(
                user_id="u1", channel="telegram", text=raw, normalized=raw, outcome="handoff", topic="human",
                intent="human", reply_text=f"Hoang Long {PHONE}", enterprise_name=f"Hoang Long {PHONE}",
                created_at=now,
            )
            .returning(Inquiry.__table__.c.id)
        )  # fmt: skip
        inquiry_id = inquiry.scalar_one()
        await conn.execute(  # the columns of 0004 only (later migrations add more to handoffs)
            sql_text(
                "INSERT INTO handoffs (inquiry_id, user_id, channel, question, status, created_at)"
                " VALUES (:inquiry_id, 'u1', 'telegram', :question, 'open', :created_at)"
            ),
            {"inquiry_id": inquiry_id, "question": raw, "created_at": now},
        )
        await conn.execute(insert(CampaignEvent.__table__).values(code="0912345678", kind="unknown", channel="web"))
    assert leaks(await every_text_in(any_store))  # in clear, as the old patterns left it
    await any_store.migrate()
    assert leaks(await every_text_in(any_store)) == []
    async with any_store.engine.connect() as conn:
        text = (await conn.execute(select(Inquiry.__table__.c.text))).scalar_one()
        assert text == "cccd [SỐ GIẤY TỜ] sdt [SĐT] mail [EMAIL]"
        assert {"erasures", "erased_updates"} <= set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert await conn.run_sync(_differences) == []
    await any_store.downgrade("0004")
    await any_store.migrate()
