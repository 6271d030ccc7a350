"""Duplicate deliveries racing each other on the real PostgreSQL server: one reply, one record."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from actions.respond import Responder
from actions.types import Policy
from bot.appkeys import CHANNELS
from bot.service import BotService, IncomingMessage
from bot.store.store import Store
from bot.web.app import create_app
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine
from tests.channels.conftest import TELEGRAM_SECRET, channel_settings
from tests.conftest import TEST_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.telegram import FakeTelegram, text_update
from tests.fakes.zalo import FakeZalo
from tests.pg import temporary_database

pytestmark = pytest.mark.postgres


async def test_concurrent_duplicates_give_one_reply_and_one_record(
    kb: KnowledgeBase,
    engine: EmbeddedEngine,
    fake_telegram: FakeTelegram,
    fake_zalo: FakeZalo,
    tmp_path: Path,
    aiohttp_client: Any,
) -> None:
    async with temporary_database() as url:
        store = Store(url)
        await store.migrate()
        service = BotService(kb, engine, Responder(kb, Policy.load()), store, TEST_KEY)
        app = create_app(channel_settings(service, tmp_path, fake_telegram, fake_zalo), service=service)
        app[CHANNELS].clock = FakeClock()
        client = await aiohttp_client(app)
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        update = text_update(900, 4242, "bao hiem that nghiep")
        responses = await asyncio.gather(
            *(client.post("/telegram/webhook", json=update, headers=headers) for _ in range(8))
        )
        assert [r.status for r in responses] == [200] * 8
        await app[CHANNELS].drain()
        assert len(fake_telegram.sent) == 1
        assert app[CHANNELS].stats["telegram"].as_dict()["duplicate"] == 7
        (record,) = await store.inquiries()
        assert record.external_id == "900" and record.delivery == "sent"
        await client.close()
        await store.close()


async def test_first_messages_of_a_new_user_racing_are_all_recorded(kb: KnowledgeBase, engine: EmbeddedEngine) -> None:
    async with temporary_database() as url:
        store = Store(url)
        await store.migrate()
        service = BotService(kb, engine, Responder(kb, Policy.load()), store, TEST_KEY)
        messages = [
            IncomingMessage(channel="telegram", user_ref="new-user", text=text, external_id=str(i))
            for i, text in enumerate(["/start", "di xkld", "/help", "hoc nghe", "/tinh"])
        ]
        handled = await asyncio.gather(*(service.handle(m) for m in messages))
        assert len({h.inquiry_id for h in handled}) == 5
        assert len(await store.inquiries()) == 5
        await store.close()
