"""/dangky and /huy on Telegram, Zalo and the web chat: the province asked once, the address kept
only encrypted, erased on /huy, gone with /xoa."""

from __future__ import annotations

from typing import Any

from bot.announce import store as announcements
from tests.channels.conftest import Bot
from tests.fakes.telegram import button_update, text_update
from tests.fakes.zalo import text_event
from tests.privacy.canaries import every_text_in

TG_USER = 7100001
ZL_USER = "zl-sub-1"


async def _subscription(bot: Bot, channel: str, ref: str) -> dict[str, Any] | None:
    return await announcements.subscription_of(bot.service.store, bot.service.user_id(channel, ref))


async def test_telegram_dangky_asks_the_province_once_then_subscribes(bot: Bot) -> None:
    assert await bot.telegram_update(text_update(1, TG_USER, "/dangky")) == 200
    asked = bot.telegram.sent[-1]
    assert "tỉnh nào" in asked["text"]
    buttons = [b["callback_data"] for row in asked["reply_markup"]["inline_keyboard"] for b in row]
    assert "p:lao-cai" in buttons
    assert await _subscription(bot, "telegram", str(TG_USER)) is None  # not before the province
    assert await bot.telegram_update(button_update(2, TG_USER, "p:lao-cai")) == 200
    assert "Đã đăng ký nhận thông báo của tỉnh Lào Cai" in bot.telegram.sent[-1]["text"]
    sub = await _subscription(bot, "telegram", str(TG_USER))
    assert sub is not None and sub["province"] == "lao-cai" and sub["channel"] == "telegram"
    assert bot.service.addresses.decrypt(sub["address"]) == str(TG_USER)
    assert not any(str(TG_USER) in value for _, value in await every_text_in(bot.service.store))
    # Known province now: a second /dangky with a topic subscribes at once, no question.
    assert await bot.telegram_update(text_update(3, TG_USER, "/dangky hoc nghe")) == 200
    assert "về: Học nghề" in bot.telegram.sent[-1]["text"]
    sub = await _subscription(bot, "telegram", str(TG_USER))
    assert sub is not None and sub["topics"] == ["vocational"]


async def test_huy_stops_at_once_and_erases_the_address(bot: Bot) -> None:
    await bot.telegram_update(text_update(1, TG_USER, "/tinh kien giang"))
    await bot.telegram_update(text_update(2, TG_USER, "/dangky"))
    assert await _subscription(bot, "telegram", str(TG_USER)) is not None
    made = await announcements.create(bot.service.store, "Hội chợ việc làm ngày 20/12")
    assert (await announcements.status(bot.service.store, made) or {})["pending"] == 1
    await bot.telegram_update(text_update(3, TG_USER, "/huy"))
    assert "không nhận thông báo nữa" in bot.telegram.sent[-1]["text"]
    assert await _subscription(bot, "telegram", str(TG_USER)) is None
    addresses = [v for k, v in await every_text_in(bot.service.store) if k == "subscriptions.address"]
    assert addresses == []
    status = await announcements.status(bot.service.store, made)
    assert status is not None and status["pending"] == 0 and status["unsubscribed"] == 1


async def test_zalo_keywords_subscribe_and_unsubscribe(bot: Bot) -> None:
    await bot.zalo_event(text_event("m1", ZL_USER, "dang ky"))
    assert "tỉnh nào" in bot.zalo.sent[-1]["text"]
    await bot.zalo_event(text_event("m2", ZL_USER, "lào cai"))
    assert "Đã đăng ký nhận thông báo" in bot.zalo.sent[-1]["text"]
    sub = await _subscription(bot, "zalo", ZL_USER)
    assert sub is not None and sub["province"] == "lao-cai"
    assert bot.service.addresses.decrypt(sub["address"]) == ZL_USER
    await bot.zalo_event(text_event("m3", ZL_USER, "huy"))
    assert await _subscription(bot, "zalo", ZL_USER) is None


async def test_xoa_removes_the_subscription_with_everything_else(bot: Bot) -> None:
    await bot.telegram_update(text_update(1, TG_USER, "/tinh lao cai"))
    await bot.telegram_update(text_update(2, TG_USER, "/dangky"))
    await bot.telegram_update(text_update(3, TG_USER, "/xoa"))
    await bot.telegram_update(text_update(4, TG_USER, "có"))
    assert await _subscription(bot, "telegram", str(TG_USER)) is None
    tables = {k.split(".")[0] for k, _ in await every_text_in(bot.service.store)}
    assert "subscriptions" not in tables


async def test_web_chat_subscribes_and_collects_announcements_when_open(bot: Bot) -> None:
    client = bot.client
    await client.post("/api/chat", json={"text": "/tinh lao cai"})
    res = await (await client.post("/api/chat", json={"text": "/dangky"})).json()
    assert "Đã đăng ký nhận thông báo" in res["reply"]["text"]
    await announcements.create(bot.service.store, "Lớp học nghề hàn khai giảng 15/1", "province", "lao-cai")
    await announcements.create(bot.service.store, "Chỉ cho Kiên Giang", "province", "kien-giang")
    shown = (await (await client.get("/api/chat/updates")).json())["messages"]
    assert len(shown) == 1 and "Lớp học nghề hàn khai giảng 15/1" in shown[0]["text"]
    assert "/huy" in shown[0]["text"]
    assert (await (await client.get("/api/chat/updates")).json())["messages"] == []  # once


async def test_the_button_after_a_greeting_subscribes(bot: Bot) -> None:
    await bot.telegram_update(text_update(1, TG_USER, "/tinh lao cai"))
    await bot.telegram_update(button_update(2, TG_USER, "s:1"))
    assert "Đã đăng ký nhận thông báo" in bot.telegram.sent[-1]["text"]


def _buttons(sent: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (sent.get("reply_markup") or {}).get("inline_keyboard") or []
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_an_answer_offers_announcements_until_the_worker_subscribes(bot: Bot) -> None:
    offer = (bot.service.kb.text("subscribe_option"), "s:1")
    await bot.telegram_update(text_update(1, TG_USER, "/tinh lao cai"))
    await bot.telegram_update(text_update(2, TG_USER, "học nghề ở đâu"))
    answered = bot.telegram.sent[-1]
    assert offer in _buttons(answered) and ("👍", "f:1") in _buttons(answered)
    await bot.telegram_update(button_update(3, TG_USER, "s:1"))
    assert "Đã đăng ký nhận thông báo của tỉnh Lào Cai" in bot.telegram.sent[-1]["text"]
    await bot.telegram_update(text_update(4, TG_USER, "học nghề ở đâu"))
    assert offer not in _buttons(bot.telegram.sent[-1])  # subscribed: not offered again
    await bot.telegram_update(text_update(5, TG_USER, "/huy"))
    await bot.telegram_update(text_update(6, TG_USER, "học nghề ở đâu"))
    assert offer in _buttons(bot.telegram.sent[-1])  # stopped: offered again


async def test_on_zalo_the_offer_is_a_hint_and_the_numbers_keep_their_meaning(bot: Bot) -> None:
    kb = bot.service.kb
    await bot.zalo_event(text_event("m1", ZL_USER, "lào cai"))
    await bot.zalo_event(text_event("m2", ZL_USER, "mục tiêu đưa người đi làm nước ngoài của lào cai"))
    shown = bot.zalo.sent[-1]["text"]
    assert kb.text("zalo_subscribe_hint") in shown and kb.text("subscribe_option") not in shown
    await bot.zalo_event(text_event("m3", ZL_USER, "1"))  # the first follow-up or 👍, never the subscription
    assert await _subscription(bot, "zalo", ZL_USER) is None
    await bot.zalo_event(text_event("m4", ZL_USER, "dangky"))
    assert "Đã đăng ký nhận thông báo của tỉnh Lào Cai" in bot.zalo.sent[-1]["text"]


async def test_the_web_chat_shows_the_offer_as_a_button(bot: Bot) -> None:
    client = bot.client
    await client.post("/api/chat", json={"text": "/tinh kien giang"})
    reply = (await (await client.post("/api/chat", json={"text": "hoc nghe o dau"})).json())["reply"]
    assert {"label": bot.service.kb.text("subscribe_option"), "payload": "s:1"} in reply["options"]
    done = (await (await client.post("/api/chat", json={"text": "", "payload": "s:1"})).json())["reply"]
    assert "Đã đăng ký nhận thông báo của tỉnh Kiên Giang" in done["text"]
