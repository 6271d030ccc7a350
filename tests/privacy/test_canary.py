"""The canary suite: the same personal numbers through every path on every channel, then a scan.

A worker's phone, citizen ID, passport, e-mail, bank account and card numbers go through a
question, a request for an official, a company check, a scam story, /xoa, and a database
outage with its journal written back, on Telegram, Zalo and the web chat, on SQLite and on
PostgreSQL. Then every column of every table, the journal files, every log record (DEBUG) and
every Redis key name are searched for them: none may be there in clear.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from actions.respond import Responder
from actions.types import Policy
from bot.admin.filters import LogFilter
from bot.admin.overview_data import computed_days
from bot.admin.queries import Dashboard
from bot.admin.rollup import DaySummaries
from bot.admin.texts import local_today
from bot.appkeys import CHANNELS, REDIS
from bot.flood import make_limiter
from bot.journal import Journal
from bot.service import BotService
from bot.store.models import utcnow
from bot.store.store import Store
from bot.web.app import create_app
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine
from tests.channels.conftest import TELEGRAM_SECRET, ZALO_SECRET, channel_settings
from tests.conftest import TEST_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.telegram import FakeTelegram, text_update
from tests.fakes.zalo import FakeZalo, text_event
from tests.privacy.canaries import (
    CCCD,
    COMPANY,
    EMAIL,
    HANDOFF,
    OUT_OF_SCOPE,
    PASSPORT,
    PHONE,
    QUESTION,
    SCAM,
    every_file_in,
    every_text_in,
    leaks,
    log_lines,
)
from tests.redisdb import RedisNamespace

pytestmark = pytest.mark.redis

PATHS = [QUESTION, HANDOFF, "co", COMPANY, SCAM, OUT_OF_SCOPE, "co", f"ho chieu {PASSPORT} mail {EMAIL}"]
PATHS += ["/ma", f"/ma {PHONE}", f"ma {CCCD}"]  # handoff tickets: the list, a "code" that is a number
ERASED = [f"cccd cua em {CCCD}", "/xoa", "co"]
TELEGRAM_USER, TELEGRAM_ERASER, ZALO_USER, ZALO_ERASER = 7012345671, 7012345672, "zl7770001", "zl7770002"
CHAT_IDS = [str(TELEGRAM_USER), str(TELEGRAM_ERASER), ZALO_USER, ZALO_ERASER]

Send = Callable[[str], Awaitable[Any]]


async def test_no_personal_number_is_kept_in_clear_anywhere(
    any_store: Store,
    kb: KnowledgeBase,
    engine: EmbeddedEngine,
    fake_telegram: FakeTelegram,
    fake_zalo: FakeZalo,
    redis_ns: RedisNamespace,
    tmp_path: Path,
    aiohttp_client: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    journal = Journal(tmp_path / "journal")
    service = BotService(kb, engine, Responder(kb, Policy.load()), any_store, TEST_KEY, journal)
    settings = channel_settings(
        service, tmp_path, fake_telegram, fake_zalo, redis_url=redis_ns.url, redis_prefix=redis_ns.prefix
    )
    app = create_app(settings, service=service)
    service.limiter = make_limiter(settings, app[REDIS])  # the app's own link to Redis
    app[CHANNELS].clock = FakeClock()
    client = await aiohttp_client(app)
    web_user = await aiohttp_client(create_app(settings, service=service))  # a second web chat (own cookie)
    update_ids = iter(range(1000, 2000))

    def telegram(user: int) -> Send:
        async def send(text: str) -> Any:
            headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
            res = await client.post(
                "/telegram/webhook", json=text_update(next(update_ids), user, text), headers=headers
            )
            await app[CHANNELS].drain()
            return res.status

        return send

    def zalo(user: str) -> Send:
        async def send(text: str) -> Any:
            event = text_event(f"m{next(update_ids)}", user, text)
            res = await client.post("/zalo/webhook", json=event, headers={"X-Bot-Api-Secret-Token": ZALO_SECRET})
            await app[CHANNELS].drain()
            return res.status

        return send

    def web(chat: Any) -> Send:
        async def send(text: str) -> Any:
            return (await chat.post("/api/chat", json={"text": text})).status

        return send

    workers = [telegram(TELEGRAM_USER), zalo(ZALO_USER), web(client)]
    erasers = [telegram(TELEGRAM_ERASER), zalo(ZALO_ERASER), web(web_user)]
    for send in workers:
        for text in PATHS:
            assert await send(text) == 200
    for send in erasers:
        await send(ERASED[0])
        await send(ERASED[1])
    # The database goes away: the next messages are answered and journaled, the erasure among them.
    real_record, real_state = any_store.record, any_store.load_state

    async def down(*_a: object, **_k: object) -> Any:
        raise OperationalError("SELECT", {}, ConnectionRefusedError("the database is down"))

    monkeypatch.setattr(any_store, "record", down)
    monkeypatch.setattr(any_store, "load_state", down)
    for send in [*workers, *erasers]:
        assert await send(f"con nua: {QUESTION}") == 200
    assert journal.pending() == 6
    journaled = every_file_in(journal.directory)
    monkeypatch.setattr(any_store, "record", real_record)
    monkeypatch.setattr(any_store, "load_state", real_state)
    # The Telegram worker confirms /xoa: erased, then the journal is written back, their journaled
    # message (from before the erasure) left out. The others' journaled questions came after their
    # /xoa: they ask again.
    assert await erasers[0](ERASED[2]) == 200
    assert journal.pending() == 0
    for send in erasers[1:]:
        assert await send(ERASED[1]) == 200
        assert await send(ERASED[2]) == 200

    # The overview's stored days (bot/admin/rollup.py) of what was said, as the dashboard keeps them.
    board = Dashboard(any_store)
    today = local_today(utcnow())
    await DaySummaries(any_store).save("canary", await computed_days(board, LogFilter(), [today]))
    found = leaks(await every_text_in(any_store))
    found += leaks(journaled + every_file_in(journal.directory))
    found += leaks(log_lines(caplog.records))
    keys = list(await redis_ns.keys())
    found += leaks(("redis key", k) for k in keys)
    found += [f"redis key {k}: a chat id" for k in keys for chat in CHAT_IDS if chat in k]
    assert found == [], "\n".join(found)
    # The numbers were there, masked: on every channel, in records, handoffs and states.
    rows = await any_store.inquiries(limit=1000)
    for channel in ("telegram", "zalo", "web"):
        texts = " ".join(r.text for r in rows if r.channel == channel)
        assert all(mask in texts for mask in ("[SĐT]", "[SỐ GIẤY TỜ]", "[SỐ TÀI KHOẢN]", "[EMAIL]")), channel
    assert len(await any_store.handoffs(status=None)) >= 3
    assert any(r.warning for r in rows) and any(r.enterprise_name for r in rows)
    # The erasers' messages from before their /xoa are gone, journaled ones included.
    erased_users = {service.user_id("telegram", str(TELEGRAM_ERASER)), service.user_id("zalo", ZALO_ERASER)}
    assert [r.outcome for r in rows if r.user_id in erased_users] == ["delete", "delete"]
    assert sum(r.channel == "web" and r.outcome == "delete" for r in rows) == 1
    await web_user.close()
