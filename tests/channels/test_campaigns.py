"""Campaigns: `laodong campaign`, the landing page /c/CODE, and attribution from every entry."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from bot.announce import store as announcements
from bot.campaigns import CampaignError, create_campaign, is_valid_code, links, start_payload
from bot.store.store import Store
from knowledge.model import KnowledgeBase
from tests.channels.conftest import Bot, laodong
from tests.fakes.telegram import text_update
from tests.fakes.zalo import text_event


def test_codes_follow_telegrams_payload_rules() -> None:
    assert is_valid_code("kg-hoicho_2025") and is_valid_code("A" * 64)
    assert not is_valid_code("A" * 65) and not is_valid_code("có-dấu") and not is_valid_code("a b")
    assert not is_valid_code("") and not is_valid_code("a/b")
    assert start_payload("/start kg-1") == "kg-1" and start_payload("/start@trolaodong_bot kg-1") == "kg-1"
    assert start_payload("/start") == "" and start_payload("start kg-1") is None


def test_links_for_posters() -> None:
    made = links("kg-1", "https://laodong.example/", "@trolaodong_bot")
    assert made.telegram == "https://t.me/trolaodong_bot?start=kg-1"
    assert made.web == "https://laodong.example/c/kg-1"
    assert links("kg-1", "https://x.example", None).telegram is None


def test_campaign_create_prints_links_and_writes_qr_codes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAODONG_TELEGRAM_BOT_USERNAME", "trolaodong_bot")
    monkeypatch.setenv("LAODONG_PUBLIC_URL", "https://laodong.example")
    code, out = laodong(
        monkeypatch,
        tmp_path,
        "campaign",
        "create",
        "kg-hoicho",
        "--name",
        "Hội chợ Rạch Giá",
        "--province",
        "kien-giang",
    )
    assert code == 0
    assert "telegram: https://t.me/trolaodong_bot?start=kg-hoicho\n" in out
    assert "web: https://laodong.example/c/kg-hoicho\n" in out
    png, svg = tmp_path / "var" / "campaigns" / "kg-hoicho.png", tmp_path / "var" / "campaigns" / "kg-hoicho.svg"
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size[0] == image.size[1] >= 300
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()

    _, listed = laodong(monkeypatch, tmp_path, "campaign", "list")
    assert listed.startswith("kg-hoicho\tHội chợ Rạch Giá\tkien-giang\t0 clicks\t0 users\t0 inquiries")


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["bad code!", "--name", "x"], "Telegram's deep-link rules"),
        (["x" * 65, "--name", "x"], "Telegram's deep-link rules"),
        (["2025", "--name", "x"], "a number or command word"),
        (["kg-1", "--name", "x", "--province", "ha-noi"], "unknown province"),
    ],
)
def test_campaign_create_refuses_bad_input(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str], problem: str
) -> None:
    with pytest.raises(SystemExit, match=problem):
        laodong(monkeypatch, tmp_path, "campaign", "create", *argv)


async def test_a_code_is_unique_whatever_its_case(store: Store, kb: KnowledgeBase) -> None:
    await create_campaign(store, kb, "KG-1", "Một", None)
    with pytest.raises(CampaignError, match="exists already"):
        await create_campaign(store, kb, "kg-1", "Hai", None)


async def test_the_landing_page_counts_the_click_and_offers_every_entry(bot: Bot) -> None:
    kb, store = bot.service.kb, bot.service.store
    await create_campaign(store, kb, "kg-hoicho", "Hội chợ <Rạch Giá>", "kien-giang")
    res = await bot.client.get("/c/kg-hoicho")
    assert res.status == 200 and res.content_type == "text/html"
    page = await res.text()
    assert "Hội chợ &lt;Rạch Giá&gt;" in page  # escaped
    assert 'href="https://t.me/trolaodong_bot?start=kg-hoicho"' in page  # the username from getMe
    assert kb.responses["landing"]["zalo_code"].format(code="kg-hoicho") in page
    assert 'href="/c/kg-hoicho/web"' in page
    assert "default-src 'self'" in res.headers["Content-Security-Policy"]
    await bot.client.get("/c/kg-hoicho")
    (stats,) = await store.campaign_stats()
    assert stats.clicks == 2

    unknown = await bot.client.get("/c/old-poster")
    assert unknown.status == 200
    page = await unknown.text()
    assert 'href="https://t.me/trolaodong_bot"' in page and 'href="/"' in page
    assert await store.unknown_campaign_codes() == {}  # a made-up /c/<code> writes no row (issue 11)


async def test_the_web_chat_entry_starts_the_chat_with_the_campaign(bot: Bot) -> None:
    kb, store = bot.service.kb, bot.service.store
    await create_campaign(store, kb, "lc-radio", "Đài Lào Cai", "lao-cai")
    res = await bot.client.get("/c/lc-radio/web", allow_redirects=False)
    assert res.status == 302 and res.headers["Location"] == "/"
    assert "ld_start=lc-radio" in res.headers["Set-Cookie"] and "httponly" in res.headers["Set-Cookie"].lower()
    greeting = await bot.client.post("/api/chat", json={"text": "/start"})
    assert (await greeting.json())["reply"]["text"].startswith("Xin chào!")
    await bot.client.post("/api/chat", json={"text": "/start"})  # the cookie was used up
    records = await store.inquiries()
    assert [(r.channel, r.campaign, r.province) for r in records] == [("web", "lc-radio", "lao-cai")] * 2
    assert records[0].text == "/start lc-radio" and records[1].text == "/start"


async def test_a_code_typed_first_on_zalo_or_the_web_attributes_the_user(bot: Bot) -> None:
    kb, store = bot.service.kb, bot.service.store
    await create_campaign(store, kb, "Xa-Phong", "Loa xã", "lao-cai")
    await bot.zalo_event(text_event("m1", "zl-1", "xa-phong"))
    reply = await bot.client.post("/api/chat", json={"text": "XA-PHONG"})
    assert (await reply.json())["reply"]["text"].startswith("Xin chào!")
    records = await store.inquiries()
    assert [(r.channel, r.campaign) for r in records] == [("zalo", "Xa-Phong"), ("web", "Xa-Phong")]
    await bot.client.post("/api/chat", json={"text": "hello"})  # an ordinary word stays a message
    assert (await store.inquiries())[-1].campaign == "Xa-Phong"  # first touch kept on later inquiries
    assert await store.unknown_campaign_codes() == {}


async def test_channel_counters_are_reported(bot: Bot) -> None:
    await bot.zalo_event(text_event("m1", "zl-1", "/start"))
    await bot.zalo_event(text_event("m1", "zl-1", "/start"))
    stats = await (await bot.client.get("/healthz/channels")).json()
    assert stats["zalo"] == {"on": True, "received": 2, "duplicate": 1, "sent": 1}
    assert stats["telegram"] == {"on": True}


async def test_campaign_list_counts_clicks_users_and_inquiries(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bot: Bot
) -> None:
    await create_campaign(bot.service.store, bot.service.kb, "kg-1", "Một", "kien-giang")
    await bot.client.get("/c/kg-1")
    await bot.zalo_event(text_event("m1", "zl-1", "kg-1"))
    await bot.zalo_event(text_event("m2", "zl-1", "di xkld can gi"))
    await bot.zalo_event(text_event("m3", "zl-2", "/start nope"))
    url = bot.service.store.url
    code, out = await asyncio.to_thread(laodong, monkeypatch, tmp_path, "campaign", "list", db_url=url)
    assert code == 0
    assert out == "kg-1\tMột\tkien-giang\t1 clicks\t1 users\t2 inquiries\nunknown code 'nope': 1\n"


async def test_the_landing_page_subscribes_through_the_campaign(bot: Bot) -> None:
    kb, store = bot.service.kb, bot.service.store
    texts = kb.responses["landing"]
    await create_campaign(store, kb, "lc-hoicho", "Hội chợ việc làm Lào Cai", "lao-cai")
    page = await (await bot.client.get("/c/lc-hoicho")).text()
    assert texts["subscribe_telegram"] in page and 'href="https://t.me/trolaodong_bot?start=dk-lc-hoicho"' in page
    assert 'href="/c/lc-hoicho/web?dk=1"' in page and texts["subscribe_zalo"].format(code="lc-hoicho") in page
    # Telegram: the deep link brings the worker in through the campaign and subscribes at once,
    # for the campaign's province, with the privacy notice a first contact gets.
    await bot.telegram_update(text_update(1, 7200001, "/start dk-lc-hoicho"))
    told = bot.telegram.sent[-1]["text"]
    assert "Đã đăng ký nhận thông báo của tỉnh Lào Cai" in told and kb.text("privacy_notice")[:40] in told
    sub = await announcements.subscription_of(store, bot.service.user_id("telegram", "7200001"))
    assert sub is not None and sub["province"] == "lao-cai"
    assert (await store.inquiries())[-1].campaign == "lc-hoicho"
    # The web chat: the landing page's link starts the chat with the subscription.
    res = await bot.client.get("/c/lc-hoicho/web?dk=1", allow_redirects=False)
    assert "ld_start=dk-lc-hoicho" in res.headers["Set-Cookie"]
    reply = (await (await bot.client.post("/api/chat", json={"text": "/start"})).json())["reply"]
    assert "Đã đăng ký nhận thông báo của tỉnh Lào Cai" in reply["text"]
    assert [(r.channel, r.campaign) for r in await store.inquiries()][-1] == ("web", "lc-hoicho")


async def test_codes_that_would_read_as_a_subscription_link_are_refused(store: Store, kb: KnowledgeBase) -> None:
    with pytest.raises(CampaignError, match="dk-"):
        await create_campaign(store, kb, "DK-hoicho", "Hội chợ", None)
