"""When the database goes away the bot still answers, and no inquiry is lost or doubled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from actions.respond import Responder
from actions.types import Policy
from bot.journal import Journal
from bot.service import BotService, IncomingMessage
from bot.store.models import Inquiry
from bot.store.store import Store, TurnRecord
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine
from tests.pg import temporary_database
from tests.tcp_proxy import store_behind_proxy


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with temporary_database() as url:
        yield url


async def test_postgres_outage_is_journaled_then_written_once(
    pg_url: str, kb: KnowledgeBase, engine: EmbeddedEngine, tmp_path: Path
) -> None:
    store, proxy = await store_behind_proxy(pg_url)
    journal = Journal(tmp_path / "journal")
    service = BotService(kb, engine, Responder(kb, Policy.load()), store, b"k", journal)
    try:
        await service.handle(IncomingMessage(channel="telegram", user_ref="1", text="xin chao", external_id="u1"))
        await proxy.stop()  # the database is gone
        for i, text in enumerate(["bao hiem that nghiep", "hoc nghe o dau", "gia vang hom nay"]):
            handled = await service.handle(
                IncomingMessage(channel="telegram", user_ref="1", text=text, external_id=f"u{i + 2}")
            )
            assert handled.outcome.reply.text  # the worker still gets an answer
        web = await service.handle(IncomingMessage(channel="web", user_ref="w", text="xkld"))
        assert web.outcome.reply.text
        assert journal.pending() == 4
        await proxy.start()  # the database is back
        await service.handle(IncomingMessage(channel="telegram", user_ref="1", text="cam on", external_id="u9"))
        assert journal.pending() == 0
        rows = await store.inquiries()
        assert sorted(r.external_id or "" for r in rows if r.channel == "telegram") == ["u1", "u2", "u3", "u4", "u9"]
        assert len(rows) == 6
        # Replaying again (say, after a crash mid-replay) writes nothing twice.
        journal.append(_record_of(rows[1]))
        assert await service.flush_journal() == 0
        assert await store.count_inquiries() == 6
    finally:
        await proxy.stop()
        await store.close()


def _record_of(row: Inquiry) -> TurnRecord:
    return TurnRecord(
        user_id=row.user_id,
        channel=row.channel,
        state={},
        province=row.province,
        message_kind=row.message_kind,
        text=row.text,
        normalized=row.normalized,
        outcome=row.outcome,
        topic=row.topic,
        intent=row.intent,
        entry_id=row.entry_id,
        confidence=row.confidence,
        answered=row.answered,
        engine=row.engine,
        reply_text=row.reply_text,
        external_id=row.external_id,
    )


async def test_dead_database_port_then_restored(kb: KnowledgeBase, engine: EmbeddedEngine, tmp_path: Path) -> None:
    dead = Store("postgresql://postgres@127.0.0.1:1/nothing")
    journal = Journal(tmp_path / "journal")
    service = BotService(kb, engine, Responder(kb, Policy.load()), dead, b"k", journal)
    handled = await service.handle(IncomingMessage(channel="cli", user_ref="a", text="bao hiem that nghiep"))
    assert handled.outcome.entry == "kg_bao_hiem_that_nghiep"
    assert journal.pending() == 1
    await dead.close()
    live = Store(f"sqlite:///{tmp_path / 'back.db'}")
    await live.migrate()
    service.store = live
    assert await service.flush_journal() == 1
    [row] = await live.inquiries()
    assert row.entry_id == "kg_bao_hiem_that_nghiep"
    await live.close()


async def test_without_a_journal_a_dead_database_is_an_error(kb: KnowledgeBase, engine: EmbeddedEngine) -> None:
    dead = Store("postgresql://postgres@127.0.0.1:1/nothing")
    service = BotService(kb, engine, Responder(kb, Policy.load()), dead, b"k")
    with pytest.raises(OSError):
        await service.handle(IncomingMessage(channel="cli", user_ref="a", text="xkld"))
    await dead.close()
