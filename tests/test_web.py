"""The web chat and health check, through the real aiohttp application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.appkeys import REDIS
from bot.service import BotService
from bot.settings import Settings
from bot.web.app import create_app
from knowledge.model import KnowledgeBase
from tests.redisdb import RedisNamespace


async def client_for(aiohttp_client: Any, service: BotService, tmp_path: Path) -> TestClient:
    settings = Settings(database_url=service.store.url, data_dir=tmp_path)
    return await aiohttp_client(create_app(settings, service=service))  # type: ignore[no-any-return]


async def test_chat_page_is_served_with_safe_headers(aiohttp_client: Any, service: BotService, tmp_path: Path) -> None:
    client = await client_for(aiohttp_client, service, tmp_path)
    res = await client.get("/")
    assert res.status == 200
    body = await res.text()
    assert 'name="viewport"' in body and "Trợ lý Lao động" in body
    assert "default-src 'self'" in res.headers["Content-Security-Policy"]
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert (await client.get("/static/chat.js")).status == 200


async def test_a_web_conversation_keeps_its_user(aiohttp_client: Any, service: BotService, tmp_path: Path) -> None:
    client = await client_for(aiohttp_client, service, tmp_path)
    res = await client.post("/api/chat", json={"text": "/start"})
    assert res.status == 200
    assert "httponly" in res.headers["Set-Cookie"].lower()
    greeting = (await res.json())["reply"]
    assert greeting["options"][0] == {"label": "Đi làm việc ở nước ngoài", "payload": "t:work_abroad"}
    res = await client.post("/api/chat", json={"text": "bao hiem that nghiep"})
    reply = (await res.json())["reply"]
    assert reply["feedback"] == service.kb.text("feedback_prompt")
    assert reply["sources"][0]["document"] == "Kế hoạch số 18/KH-UBND"
    res = await client.post("/api/chat", json={"payload": "f:1"})
    assert (await res.json())["reply"]["text"] == service.kb.text("feedback_thanks")
    records = await service.store.inquiries()
    assert len(records) == 3 and len({r.user_id for r in records}) == 1
    assert records[1].feedback == 1


async def test_web_chat_province_choice_is_remembered(aiohttp_client: Any, service: BotService, tmp_path: Path) -> None:
    client = await client_for(aiohttp_client, service, tmp_path)
    res = await client.post("/api/chat", json={"text": "muc tieu xkld cua tinh", "province": "kien-giang"})
    assert "1.000" in (await res.json())["reply"]["text"]


async def test_bad_requests_are_refused_and_not_logged(
    aiohttp_client: Any, service: BotService, tmp_path: Path
) -> None:
    client = await client_for(aiohttp_client, service, tmp_path)
    assert (await client.post("/api/chat", data="text=hi")).status == 415
    bad_json = await client.post("/api/chat", data=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status == 400
    invalid_utf8 = await client.post(
        "/api/chat", data=b'{"text": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    assert invalid_utf8.status == 400
    assert (await client.post("/api/chat", json=["a"])).status == 400
    assert (await client.post("/api/chat", json={"text": 5})).status == 400
    huge = await client.post("/api/chat", json={"text": "x" * 100_000})
    assert huge.status == 413
    assert await service.store.count_inquiries() == 0


async def test_healthz(aiohttp_client: Any, service: BotService, tmp_path: Path) -> None:
    client = await client_for(aiohttp_client, service, tmp_path)
    res = await client.get("/healthz")
    assert res.status == 200
    assert (await res.json())["status"] == "ok"


@pytest.mark.redis
async def test_a_server_with_redis_shares_flood_control_and_closes_its_client(
    aiohttp_client: Any, kb: KnowledgeBase, tmp_path: Path, redis_ns: RedisNamespace
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'laodong.db'}",
        data_dir=tmp_path,
        hash_key="k",
        redis_url=redis_ns.url,
        redis_prefix=redis_ns.prefix,
        user_burst=2,
        user_rate=0.001,
    )
    client = await aiohttp_client(create_app(settings))  # the service built from settings, as `serve` does
    replies = []
    for _ in range(3):
        res = await client.post("/api/chat", json={"text": "bao hiem that nghiep"})
        replies.append((await res.json())["reply"]["text"])
    assert replies[2] == kb.text("slow_down") and replies[0] and replies[1]
    keys = await redis_ns.keys()
    (key,) = [k for k in keys if k.startswith(f"{redis_ns.prefix}flood:")]  # the web user's bucket, counted in Redis
    (by_address,) = [k for k in keys if k != key]  # … and the address's, under a keyed hash of it
    assert by_address.startswith(f"{redis_ns.prefix}chat-addr:") and "127.0.0.1" not in by_address
    link = client.app[REDIS]  # the one link the composition root made
    assert link._client is not None
    await client.close()  # the app shuts down
    assert link._client is None
