"""Subscriptions and announcements keep no chat id and no personal number in clear: /dangky (with
numbers typed after it) on Telegram, Zalo and the web chat, an announcement delivered, /huy and
/xoa; then every column of every table and every log record is searched (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from actions.respond import Responder
from actions.types import Policy
from bot.announce import store as announcements
from bot.appkeys import CHANNELS
from bot.service import BotService
from bot.store.store import Store
from bot.web.app import create_app
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine
from tests.channels.conftest import TELEGRAM_SECRET, ZALO_SECRET, channel_settings
from tests.conftest import TEST_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.telegram import FakeTelegram, text_update
from tests.fakes.zalo import FakeZalo, text_event
from tests.privacy.canaries import PHONE, QUESTION, every_text_in, leaks, log_lines

TG_STAYS, TG_LEAVES, TG_ERASES = 7300000001, 7300000002, 7300000003
ZL_STAYS = "zl7300000004"
CHATS = [str(TG_STAYS), str(TG_LEAVES), str(TG_ERASES), ZL_STAYS]


async def test_subscriptions_keep_no_chat_id_or_number_in_clear(
    any_store: Store,
    kb: KnowledgeBase,
    engine: EmbeddedEngine,
    fake_telegram: FakeTelegram,
    fake_zalo: FakeZalo,
    tmp_path: Path,
    aiohttp_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    service = BotService(kb, engine, Responder(kb, Policy.load()), any_store, TEST_KEY)
    settings = channel_settings(service, tmp_path, fake_telegram, fake_zalo, announce_poll_seconds=3600)
    app = create_app(settings, service=service)
    app[CHANNELS].clock = FakeClock()
    client = await aiohttp_client(app)
    update_ids = iter(range(5000, 6000))

    async def telegram(user: int, text: str) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        assert (
            await client.post("/telegram/webhook", json=text_update(next(update_ids), user, text), headers=headers)
        ).status == 200
        await app[CHANNELS].drain()

    async def zalo(user: str, text: str) -> None:
        event = text_event(f"m{next(update_ids)}", user, text)
        assert (
            await client.post("/zalo/webhook", json=event, headers={"X-Bot-Api-Secret-Token": ZALO_SECRET})
        ).status == 200
        await app[CHANNELS].drain()

    for user in (TG_STAYS, TG_LEAVES, TG_ERASES):
        await telegram(user, f"/dangky sdt em {PHONE}")
        await telegram(user, "lào cai")
        await telegram(user, QUESTION)
    await zalo(ZL_STAYS, f"dang ky {PHONE}")
    await zalo(ZL_STAYS, "/dangky")
    await zalo(ZL_STAYS, "kiên giang")
    await client.post("/api/chat", json={"text": "/tinh lao cai"})
    await client.post("/api/chat", json={"text": f"/dangky {QUESTION}"})
    made = await announcements.create(any_store, "Hội chợ việc làm 20/12")
    await telegram(TG_LEAVES, "/huy")
    await telegram(TG_ERASES, "/xoa")
    await telegram(TG_ERASES, "có")
    sender = app[CHANNELS].sender
    assert sender is not None
    while await sender.round():
        pass
    await client.get("/api/chat/updates")
    status = await announcements.status(any_store, made)
    assert status is not None and status["sent"] == 3 and status["unsubscribed"] == 2  # Telegram, Zalo, web

    values = await every_text_in(any_store)
    found = leaks(values) + leaks(log_lines(caplog.records))
    found += [f"{where}: chat id {chat}" for where, value in values for chat in CHATS if chat in value]
    found += [f"log: chat id {chat}" for _, line in log_lines(caplog.records) for chat in CHATS if chat in line]
    assert found == [], "\n".join(found)
    addresses = [v for k, v in values if k == "subscriptions.address"]
    assert len(addresses) == 2  # the Telegram and Zalo workers who stay; /huy erased one, /xoa the other's row
    assert {service.addresses.decrypt(a) for a in addresses} == {str(TG_STAYS), ZL_STAYS}
