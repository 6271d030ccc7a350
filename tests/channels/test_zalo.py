"""Zalo end to end: events in by webhook or getUpdates, numbered plain-text replies out."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.campaigns import create_campaign
from bot.service import BotService
from tests.channels.conftest import Bot, StartBot
from tests.fakes.zalo import FakeZalo, text_event, too_many_requests, wrapped

LAN = "zl-5a7e1b"


def event(kind: str, message_id: str, **message: Any) -> dict[str, Any]:
    base = text_event(message_id, LAN, "")
    del base["message"]["text"]
    base["event_name"] = kind
    base["message"].update(message)
    return base


async def test_a_conversation_with_typed_numbers_and_ratings(bot: Bot) -> None:
    kb, store = bot.service.kb, bot.service.store
    await create_campaign(store, kb, "KG-HoiCho", "Hội chợ việc làm Rạch Giá", "kien-giang")

    assert await bot.zalo_event(text_event("m1", LAN, "kg-hoicho")) == 200  # the code from the poster
    greeting = bot.zalo.sent[-1]
    assert greeting["chat_id"] == LAN
    assert greeting["text"].startswith("Xin chào!")
    assert "\n1. Đi làm việc ở nước ngoài\n2. Học trước khi đi\n" in greeting["text"]
    assert greeting["text"].endswith(kb.text("zalo_pick_hint"))

    assert await bot.zalo_event(text_event("m2", LAN, "bao hiem that nghiep")) == 200
    answer = bot.zalo.sent[-1]["text"]
    assert "📄 Theo Kế hoạch 18/KH-UBND" in answer and "<i>" not in answer
    assert answer.endswith(f"{kb.text('feedback_prompt')} {kb.text('zalo_feedback_hint')}")
    first_option = answer.split("\n1. ", 1)[1].split("\n", 1)[0]

    assert await bot.zalo_event(text_event("m3", LAN, "1")) == 200  # picks follow-up 1
    assert kb.text("feedback_prompt") in bot.zalo.sent[-1]["text"]
    assert await bot.zalo_event(text_event("m4", LAN, "0")) == 200  # right after an answer: 👎
    assert bot.zalo.sent[-1]["text"] == kb.text("feedback_thanks")
    assert await bot.zalo_event(text_event("m5", LAN, "👍")) == 200
    assert bot.zalo.sent[-1]["text"] == kb.text("feedback_thanks")

    records = await store.inquiries()
    assert [r.campaign for r in records] == ["KG-HoiCho"] * 5
    assert records[0].province == "kien-giang"
    assert records[2].entry_id is not None and kb.entries[records[2].entry_id].title == first_option
    assert [r.feedback for r in records] == [None, None, 1, None, None]  # 👎 then 👍 on the same answer
    assert {r.delivery for r in records} == {"sent"}

    assert await bot.zalo_event(text_event("m6", LAN, "tinh")) == 200  # keywords: Zalo has no commands
    assert "\n1. Lào Cai\n" in bot.zalo.sent[-1]["text"]
    assert await bot.zalo_event(text_event("m7", LAN, "1")) == 200
    assert bot.zalo.sent[-1]["text"].startswith("Đã ghi nhận: Lào Cai.")
    assert (await store.inquiries())[-1].province == "lao-cai"

    assert await bot.zalo_event(text_event("m8", LAN, "xoa")) == 200
    assert bot.zalo.sent[-1]["text"].startswith(kb.text("delete_confirm"))
    assert "\n1. Có\n2. Không" in bot.zalo.sent[-1]["text"]
    assert await bot.zalo_event(text_event("m9", LAN, "có")) == 200
    assert bot.zalo.sent[-1]["text"] == kb.text("delete_done")
    left = await store.inquiries(bot.service.user_id("zalo", LAN))
    assert [r.intent for r in left] == ["delete"]


async def test_one_rates_an_answer_that_listed_no_follow_ups(bot: Bot) -> None:
    await bot.zalo_event(text_event("m1", LAN, "bao hiem that nghiep"))
    user = bot.service.user_id("zalo", LAN)
    state = await bot.service.store.load_state(user)
    await bot.service.store.set_state(user, {**state, "options": []})  # as if it had no follow-ups
    await bot.zalo_event(text_event("m2", LAN, "1"))
    records = await bot.service.store.inquiries()
    assert records[0].feedback == 1 and records[1].intent == "feedback"


async def test_numbers_not_after_an_answer_are_left_to_the_dialogue(bot: Bot) -> None:
    await bot.zalo_event(text_event("m1", LAN, "/tinh"))
    await bot.zalo_event(text_event("m2", LAN, "1"))
    assert bot.zalo.sent[-1]["text"].startswith("Đã ghi nhận: Lào Cai.")


async def test_flat_and_wrapped_events_are_both_accepted(bot: Bot) -> None:
    assert await bot.zalo_event(text_event("m1", LAN, "/help")) == 200
    assert await bot.zalo_event(wrapped(text_event("m2", LAN, "/help"))) == 200
    assert len(bot.zalo.sent) == 2
    assert [r.external_id for r in await bot.service.store.inquiries()] == ["m1", "m2"]


async def test_images_stickers_and_unsupported_messages(bot: Bot) -> None:
    await bot.zalo_event(event("message.sticker.received", "m1", sticker="abc"))
    await bot.zalo_event(event("message.image.received", "m2", photo_url="https://img.example/x.jpg"))
    await bot.zalo_event(event("message.unsupported.received", "m3"))
    await bot.zalo_event(event("message.image.received", "m4", photo_url="https://i/x.jpg", caption="di xkld"))
    texts = [m["text"] for m in bot.zalo.sent]
    assert all(t.startswith("Xin lỗi, tôi chỉ đọc được tin nhắn chữ.") for t in texts[:3])
    assert not texts[3].startswith("Xin lỗi, tôi chỉ đọc")  # a photo with a question: the question is answered
    kinds = [r.message_kind for r in await bot.service.store.inquiries()]
    assert kinds == ["sticker", "image", "other", "text"]


async def test_events_the_bot_does_not_handle_are_acknowledged_and_counted(bot: Bot) -> None:
    assert await bot.zalo_event({"event_name": "message.reaction.received", "message": {}}) == 200
    assert await bot.zalo_event(text_event("g1", LAN, "/start", chat_type="GROUP")) == 200
    assert await bot.zalo_event({"event_name": "message.text.received", "message": {"text": "hi"}}) == 200
    assert bot.channels.stats["zalo"].as_dict()["ignored"] == 3
    assert bot.zalo.sent == []
    assert await bot.service.store.count_inquiries() == 0


async def test_wrong_or_missing_secret_is_refused_and_leaves_no_trace(bot: Bot) -> None:
    assert await bot.zalo_event(text_event("m1", LAN, "/start"), secret=None) == 401
    assert await bot.zalo_event(text_event("m2", LAN, "/start"), secret="zalo-secret-wrong") == 403
    assert bot.zalo.sent == []
    assert await bot.service.store.count_inquiries() == 0
    assert bot.channels.stats["zalo"].as_dict() == {"rejected": 2}


async def test_malformed_bodies_get_4xx_and_store_nothing(bot: Bot) -> None:
    headers = {"X-Bot-Api-Secret-Token": "zalo-secret-0123456789"}
    json_headers = {**headers, "Content-Type": "application/json"}
    post = bot.client.post
    assert (await post("/zalo/webhook", data="event_name=x", headers=headers)).status == 415
    assert (await post("/zalo/webhook", data=b"{oops", headers=json_headers)).status == 400
    assert (await post("/zalo/webhook", data=b'"text"', headers=json_headers)).status == 400
    assert (await post("/zalo/webhook", json={"ok": True}, headers=headers)).status == 400
    assert (await post("/zalo/webhook", json=text_event("m9", LAN, "a" * 70_000), headers=headers)).status == 413
    assert bot.zalo.sent == []
    assert await bot.service.store.count_inquiries() == 0


async def test_a_429_is_retried_after_the_time_zalo_asks(bot: Bot) -> None:
    bot.zalo.script("sendMessage", 429, too_many_requests(3))
    assert await bot.zalo_event(text_event("m1", LAN, "/start")) == 200
    assert len(bot.zalo.sent) == 2
    assert 3 in bot.clock.sleeps
    (record,) = await bot.service.store.inquiries()
    assert record.delivery == "sent"


async def test_a_reply_zalo_refuses_is_recorded_as_failed(bot: Bot) -> None:
    bot.zalo.script("sendMessage", 200, {"ok": False, "error_code": 400, "description": "chat not found"})
    await bot.zalo_event(text_event("m1", LAN, "/start"))
    (record,) = await bot.service.store.inquiries()
    assert record.delivery == "failed"


async def test_the_same_event_twice_gives_one_reply_and_one_record(bot: Bot) -> None:
    once = text_event("m-dup", LAN, "bao hiem that nghiep")
    statuses = await asyncio.gather(*(bot.zalo_event(once) for _ in range(4)))
    assert statuses == [200] * 4
    assert await bot.zalo_event(wrapped(once)) == 200
    assert len(bot.zalo.sent) == 1
    assert await bot.service.store.count_inquiries() == 1


async def test_polling_mode_fetches_events_with_get_updates(
    start_bot: StartBot, service: BotService, fake_zalo: FakeZalo
) -> None:
    fake_zalo.script("getUpdates", 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    bot = await start_bot(zalo_polling=True)
    assert (await bot.client.post("/zalo/webhook", json={})).status == 404
    await bot.zalo.updates.put(text_event("p1", LAN, "/start"))
    while not bot.zalo.sent:
        bot.zalo.called.clear()
        await asyncio.wait_for(bot.zalo.called.wait(), timeout=10)
    await bot.channels.drain()
    assert bot.zalo.sent[0]["text"].startswith("Xin chào!")
    assert bot.zalo.calls_of("getUpdates")[0] == {"timeout": "30"}
    assert 5.0 in bot.clock.sleeps  # after the failed poll, a pause before the next
    (record,) = await service.store.inquiries()
    assert record.external_id == "p1"
