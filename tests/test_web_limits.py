"""The web chat and landing pages against floods and bad bodies: limits per client address
(X-Forwarded-For believed only from trusted proxies), 400 for a 30k-deep JSON body, no rows for
made-up campaign codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.campaigns import create_campaign
from bot.service import BotService
from bot.settings import Settings
from bot.store.models import CampaignEvent
from bot.web.app import create_app


async def client_for(aiohttp_client: Any, service: BotService, tmp_path: Path, **kw: Any) -> TestClient:
    settings = Settings(_env_file=None, database_url=service.store.url, data_dir=tmp_path, **kw)  # type: ignore[call-arg]
    return await aiohttp_client(create_app(settings, service=service))  # type: ignore[no-any-return]


async def test_a_deeply_nested_chat_body_is_a_400(aiohttp_client: Any, service: BotService, tmp_path: Path) -> None:
    client = await client_for(aiohttp_client, service, tmp_path)
    deep = '{"text": ' + "[" * 30_000 + "]" * 30_000 + "}"
    res = await client.post("/api/chat", data=deep, headers={"Content-Type": "application/json"})
    assert res.status == 400 and (await res.json())["error"] == "body is not valid JSON"
    assert await service.store.count_inquiries() == 0


async def test_cookieless_floods_are_limited_by_address(
    aiohttp_client: Any, service: BotService, tmp_path: Path
) -> None:
    client = await client_for(aiohttp_client, service, tmp_path, address_burst=5, address_rate=0.001)
    statuses = []
    for _ in range(8):
        client.session.cookie_jar.clear()  # a new "user" every time: the cookie limit never bites
        statuses.append((await client.post("/api/chat", json={"text": "xin chao"})).status)
    assert statuses == [200] * 5 + [429] * 3
    assert await service.store.count_inquiries() == 5


async def test_forwarded_for_is_believed_only_from_trusted_proxies(
    aiohttp_client: Any, service: BotService, tmp_path: Path
) -> None:
    behind_proxy = await client_for(
        aiohttp_client, service, tmp_path, address_burst=2, address_rate=0.001, trusted_proxies="127.0.0.1"
    )
    for worker in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):  # three workers through our proxy
        for _ in range(2):
            behind_proxy.session.cookie_jar.clear()
            res = await behind_proxy.post("/api/chat", json={"text": "xin chao"}, headers={"X-Forwarded-For": worker})
            assert res.status == 200
    direct = await client_for(aiohttp_client, service, tmp_path, address_burst=2, address_rate=0.001)
    statuses = []
    for n in range(3):  # no trusted proxy: a made-up header does not make a new address
        direct.session.cookie_jar.clear()
        res = await direct.post("/api/chat", json={"text": "xin chao"}, headers={"X-Forwarded-For": f"198.51.100.{n}"})
        statuses.append(res.status)
    assert statuses == [200, 200, 429]


async def clicks(service: BotService) -> int:
    async with service.store.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(CampaignEvent))).scalar_one())


async def test_landing_pages_count_real_campaigns_within_a_budget(
    aiohttp_client: Any, service: BotService, tmp_path: Path
) -> None:
    client = await client_for(aiohttp_client, service, tmp_path, landing_burst=3, landing_rate=0.001)
    for n in range(20):  # made-up codes: the page shows, nothing is written
        assert (await client.get(f"/c/made-up-{n}")).status == 200
        assert (await client.get(f"/c/%00%27{n}")).status in (200, 404)
    assert await clicks(service) == 0
    await create_campaign(service.store, service.kb, "kg-poster", "Áp phích", "kien-giang")
    for _ in range(10):
        assert (await client.get("/c/kg-poster")).status == 200  # always shown …
    assert await clicks(service) == 3  # … counted within the address's budget
