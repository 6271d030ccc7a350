"""Two `laodong serve` processes on one PostgreSQL database behave as one bot."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.store.models import User
from bot.store.store import Store
from knowledge.model import KnowledgeBase
from tests.fakes.telegram import TOKEN, FakeTelegram, text_update
from tests.pg import temporary_database
from tests.redisdb import RedisNamespace
from tests.serving import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
SECRET = "replica-secret-0123456789"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
pytestmark = pytest.mark.postgres


@asynccontextmanager
async def serving(
    tmp_path: Path, fake: FakeTelegram, db_url: str, settings: dict[str, str] | None = None
) -> AsyncIterator[list[str]]:
    """Two `laodong serve` processes on one database and one fake Telegram; their URLs once healthy."""
    procs, urls = [], []
    for i in range(2):
        port = free_port()
        env = {
            **os.environ,
            "LAODONG_DATABASE_URL": db_url,
            "LAODONG_DATA_DIR": str(tmp_path / f"var{i}"),
            "LAODONG_HASH_KEY": "shared-hash-key",
            "LAODONG_TELEGRAM_TOKEN": TOKEN,
            "LAODONG_TELEGRAM_SECRET": SECRET,
            "LAODONG_TELEGRAM_API_URL": fake.url,
            **(settings or {}),
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        async with aiohttp.ClientSession() as session:
            for url, proc in zip(urls, procs, strict=True):
                await wait_healthy(session, url, proc)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


@pytest.fixture
async def replicas(tmp_path: Path) -> AsyncIterator[tuple[list[str], FakeTelegram, str]]:
    fake = FakeTelegram()
    await fake.start()
    try:
        async with temporary_database() as db_url:
            store = Store(db_url)
            await store.migrate()
            await store.add_campaign("poster-bat-xat", "Áp phích Bát Xát", "lao-cai")
            await store.close()
            async with serving(tmp_path, fake, db_url) as urls:
                yield urls, fake, db_url
    finally:
        await fake.close()


async def sent_to(fake: FakeTelegram, chat: int, count: int) -> list[str]:
    """The texts sent to a chat, once `count` have gone out (bounded wait: replies leave after the 200)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        texts = [str(m.get("text", "")) for m in fake.sent if int(m["chat_id"]) == chat]
        if len(texts) >= count:
            return texts
        await asyncio.sleep(0.05)
    raise AssertionError(f"chat {chat} got {len(texts)} messages, expected {count}")


async def test_two_processes_share_state_deduplication_and_campaigns(
    replicas: tuple[list[str], FakeTelegram, str],
) -> None:
    (a, b), fake, db_url = replicas
    async with aiohttp.ClientSession() as http:

        async def post(url: str, update: dict[str, object]) -> int:
            async with http.post(url + "/telegram/webhook", json=update, headers=HEADERS) as res:
                return res.status

        # Conversation state: the province question is asked by one process, answered by the other.
        assert await post(a, text_update(1, 501, "mỗi năm tỉnh mình đưa bao nhiêu người đi xkld")) == 200
        await sent_to(fake, 501, 1)
        assert await post(b, text_update(2, 501, "lao cai")) == 200
        texts = await sent_to(fake, 501, 2)
        assert "200" in texts[1]

        # A platform retry delivered to both processes at once: one reply, one record.
        statuses = await asyncio.gather(
            *(post(url, text_update(3, 502, "bao hiem that nghiep")) for url in (a, b, a, b))
        )
        assert statuses == [200] * 4
        await sent_to(fake, 502, 1)

        # Campaign attribution through either process.
        assert await post(a, text_update(4, 503, "/start poster-bat-xat")) == 200
        assert await post(b, text_update(5, 504, "/start poster-bat-xat")) == 200
        await sent_to(fake, 503, 1)
        await sent_to(fake, 504, 1)

    store = Store(db_url)
    try:
        rows = await store.inquiries()
        assert sorted(r.external_id or "" for r in rows) == ["1", "2", "3", "4", "5"]
        assert len([m for m in fake.sent if int(m["chat_id"]) == 502]) == 1
        async with store.sessions() as session:
            campaigns = (
                await session.execute(select(User.campaign, User.province).where(User.campaign.is_not(None)))
            ).all()
        assert sorted(campaigns) == [("poster-bat-xat", "lao-cai"), ("poster-bat-xat", "lao-cai")]
    finally:
        await store.close()


class TimedTelegram(FakeTelegram):
    """The fake Bot API, noting when each message arrives (loop time)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_at: list[float] = []

    async def answer(self, method: str, params: dict[str, Any]) -> web.Response:
        if method == "sendMessage":
            self.sent_at.append(asyncio.get_running_loop().time())
        return await super().answer(method, params)


async def deliveries(store: Store, count: int) -> list[tuple[str, str, str | None]]:
    """(update id, outcome, delivery) of every inquiry, once `count` have how their delivery ended recorded."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while True:
        rows = sorted(
            ((r.external_id or "", r.outcome, r.delivery) for r in await store.inquiries()), key=lambda r: int(r[0])
        )
        done = all(delivery not in (None, "pending") for _, _, delivery in rows)  # pending: still in the outbox
        if (len(rows) == count and done) or loop.time() > deadline:
            return rows
        await asyncio.sleep(0.05)


@pytest.mark.redis
async def test_two_processes_share_flood_control_and_send_pacing_through_redis(
    tmp_path: Path, redis_ns: RedisNamespace, kb: KnowledgeBase
) -> None:
    fake = TimedTelegram()
    await fake.start()
    shared = {
        "LAODONG_REDIS_URL": redis_ns.url,
        "LAODONG_REDIS_PREFIX": redis_ns.prefix,
        "LAODONG_USER_BURST": "10",
        "LAODONG_USER_RATE": "0.001",  # nothing comes back during the test
        "LAODONG_TELEGRAM_RATE_PER_CHAT": "5",  # 0.2 s apart, so that the test is quick
    }
    try:
        async with temporary_database() as db_url:
            store = Store(db_url)
            await store.migrate()
            try:
                async with serving(tmp_path, fake, db_url, shared) as (a, b), aiohttp.ClientSession() as http:
                    for update_id in range(1, 15):  # one user, fourteen messages, to each process in turn
                        url = a if update_id % 2 else b
                        update = text_update(update_id, 601, "/help")
                        async with http.post(url + "/telegram/webhook", json=update, headers=HEADERS) as res:
                            assert res.status == 200
                    rows = await deliveries(store, 14)
            finally:
                await store.close()
    finally:
        await fake.close()
    # Ten answered, then told once to slow down, then silence, though each process saw only seven:
    # all fourteen recorded.
    assert [outcome == "rate_limited" for _, outcome, _ in rows] == [False] * 10 + [True] * 4
    assert [delivery for _, _, delivery in rows] == ["sent"] * 11 + ["none"] * 3
    texts = [str(m.get("text", "")) for m in fake.sent]
    assert texts.count(kb.text("slow_down")) == 1
    # Sends to the chat 0.2 s apart across both processes: alone, each would send its own at that pace.
    span = fake.sent_at[-1] - fake.sent_at[0]
    assert span >= 0.2 * (len(fake.sent_at) - 1) - 0.3, (len(fake.sent_at), span)
