"""Telegram end to end: webhook in, the fake Bot API shows what the worker would see."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.campaigns import create_campaign
from bot.flood import UserLimiter
from bot.service import BotService
from tests.channels.conftest import Bot, StartBot
from tests.fakes.telegram import FakeTelegram, button_update, text_update, too_many_requests

LAN = 555001


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback data) of every button under a sent message, row by row."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_a_whole_conversation_from_poster_to_deletion(bot: Bot) -> None:
    kb, store = bot.service.kb, bot.service.store
    await create_campaign(store, kb, "kg-hoicho", "Hội chợ việc làm Rạch Giá", "kien-giang")

    assert await bot.telegram_update(text_update(1, LAN, "/start kg-hoicho")) == 200
    greeting = bot.telegram.sent[-1]
    assert greeting["chat_id"] == str(LAN) and greeting["parse_mode"] == "HTML"
    assert greeting["text"].startswith("Xin chào!")
    assert buttons(greeting)[0] == ("Đi làm việc ở nước ngoài", "t:work_abroad")
    assert ("👍", "f:1") not in buttons(greeting)

    assert await bot.telegram_update(text_update(2, LAN, "bao hiem that nghiep")) == 200
    answer = bot.telegram.sent[-1]
    assert "<i>📄 Theo Kế hoạch 18/KH-UBND" in answer["text"]
    assert answer["text"].endswith(kb.text("feedback_prompt"))
    options = buttons(answer)
    assert options[-2:] == [("👍", "f:1"), ("👎", "f:0")]
    assert all(len(data.encode()) <= 64 for _, data in options)
    _, related_data = options[0]
    assert related_data.startswith("e:")

    assert await bot.telegram_update(button_update(3, LAN, related_data)) == 200
    assert bot.telegram.calls_of("answerCallbackQuery") == [{"callback_query_id": "cq3"}]
    follow_up = bot.telegram.sent[-1]
    assert kb.entries[related_data[2:]].answer.split("\n")[0][:40] in follow_up["text"]

    assert await bot.telegram_update(button_update(4, LAN, "f:1")) == 200
    assert bot.telegram.sent[-1]["text"] == kb.text("feedback_thanks")

    assert await bot.telegram_update(text_update(5, LAN, "/tinh")) == 200
    assert ("Lào Cai", "p:lao-cai") in buttons(bot.telegram.sent[-1])
    assert await bot.telegram_update(button_update(6, LAN, "p:lao-cai")) == 200
    assert bot.telegram.sent[-1]["text"].startswith("Đã ghi nhận: Lào Cai.")

    records = await store.inquiries()
    assert [r.campaign for r in records] == ["kg-hoicho"] * 6
    assert {r.delivery for r in records} == {"sent"}
    assert [r.feedback for r in records] == [None, None, 1, None, None, None]  # on the answer just before
    assert records[0].province == "kien-giang" and records[-1].province == "lao-cai"
    user = records[0].user_id
    assert str(LAN) not in user

    assert await bot.telegram_update(text_update(7, LAN, "/xoa")) == 200
    assert buttons(bot.telegram.sent[-1]) == [("Có", "d:1"), ("Không", "d:0")]
    assert await bot.telegram_update(button_update(8, LAN, "d:1")) == 200
    assert bot.telegram.sent[-1]["text"] == kb.text("delete_done")
    left = await store.inquiries(user)
    assert [r.intent for r in left] == ["delete"]  # only the confirmation itself, with no campaign
    assert left[0].campaign is None


async def test_replies_in_one_chat_are_a_second_apart(bot: Bot) -> None:
    for update_id, text in enumerate(["/start", "/help", "/tinh"], start=1):
        await bot.telegram_update(text_update(update_id, LAN, text))
    assert len(bot.telegram.sent) == 3
    assert sum(bot.clock.sleeps) >= 2.0  # three messages to one chat: at least two one-second gaps


async def test_a_429_is_retried_after_the_time_telegram_asks(bot: Bot) -> None:
    bot.telegram.script("sendMessage", 429, too_many_requests(7))
    assert await bot.telegram_update(text_update(1, LAN, "/start")) == 200
    assert len(bot.telegram.sent) == 2  # refused once, then delivered
    assert 7 in bot.clock.sleeps
    (record,) = await bot.service.store.inquiries()
    assert record.delivery == "sent"


async def test_a_reply_that_finally_fails_is_recorded_against_its_inquiry(bot: Bot) -> None:
    bot.telegram.script("sendMessage", 429, too_many_requests(1), times=4)  # 1 try + 3 retries
    await bot.telegram_update(text_update(1, LAN, "/start"))
    bot.telegram.script("sendMessage", 403, {"ok": False, "error_code": 403, "description": "Forbidden: blocked"})
    await bot.telegram_update(text_update(2, LAN, "/help"))
    records = await bot.service.store.inquiries()
    assert [r.delivery for r in records] == ["failed", "failed"]
    assert len(bot.telegram.sent) == 4 + 1  # four refused tries, then the blocked one
    assert bot.channels.stats["telegram"].as_dict()["failed"] == 2


async def test_the_same_update_twice_gives_one_reply_and_one_record(bot: Bot) -> None:
    update = text_update(41, LAN, "bao hiem that nghiep")
    assert await bot.telegram_update(update) == 200
    assert await bot.telegram_update(update) == 200
    statuses = await asyncio.gather(*(bot.telegram_update(text_update(42, LAN, "/help")) for _ in range(5)))
    assert statuses == [200] * 5
    assert len(bot.telegram.sent) == 2
    assert await bot.service.store.count_inquiries() == 2
    assert bot.channels.stats["telegram"].as_dict()["duplicate"] == 5


async def test_wrong_or_missing_secret_is_refused_and_leaves_no_trace(bot: Bot) -> None:
    assert await bot.telegram_update(text_update(1, LAN, "/start"), secret=None) == 401
    assert await bot.telegram_update(text_update(2, LAN, "/start"), secret="not-the-secret") == 403
    assert await bot.telegram_update(text_update(3, LAN, "/start"), secret="") == 403
    assert bot.telegram.sent == []
    assert await bot.service.store.count_inquiries() == 0


async def test_malformed_bodies_get_4xx_and_store_nothing(bot: Bot) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": "tg-secret-0123456789"}
    post = bot.client.post
    assert (await post("/telegram/webhook", data="update_id=1", headers=headers)).status == 415
    json_headers = {**headers, "Content-Type": "application/json"}
    assert (await post("/telegram/webhook", data=b'{"update_id": 1,', headers=json_headers)).status == 400
    assert (await post("/telegram/webhook", data=b"[1, 2]", headers=json_headers)).status == 400
    assert (await post("/telegram/webhook", data=b"[" * 50_000, headers=json_headers)).status == 400
    assert (await post("/telegram/webhook", data=b'{"update_id": "\xff"}', headers=json_headers)).status == 400
    assert (await post("/telegram/webhook", json={"message": {"text": "hi"}}, headers=headers)).status == 400
    bad_message = {"update_id": 9, "message": {"text": "hi"}}  # no chat, no date: not a Telegram message
    assert (await post("/telegram/webhook", json=bad_message, headers=headers)).status == 400
    huge = text_update(10, LAN, "a" * 70_000)
    assert (await post("/telegram/webhook", json=huge, headers=headers)).status == 413
    await bot.channels.drain()
    assert bot.telegram.sent == []
    assert await bot.service.store.count_inquiries() == 0


async def test_updates_the_bot_does_not_handle_are_acknowledged_and_counted(bot: Bot) -> None:
    edited = text_update(1, LAN, "sửa lại")
    edited["edited_message"] = edited.pop("message")
    group = text_update(2, LAN, "/start")
    group["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Nhóm"}
    member = {
        "update_id": 3,
        "my_chat_member": {
            "chat": {"id": LAN, "type": "private", "first_name": "Lan"},
            "from": {"id": LAN, "is_bot": False, "first_name": "Lan"},
            "date": 1_760_000_000,
            "old_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True, "first_name": "b"}},
            "new_chat_member": {
                "status": "kicked",
                "until_date": 0,
                "user": {"id": 1, "is_bot": True, "first_name": "b"},
            },
        },
    }
    timer = text_update(4, LAN, "")
    del timer["message"]["text"]
    timer["message"]["message_auto_delete_timer_changed"] = {"message_auto_delete_time": 86400}
    for update in (edited, group, member, timer):
        assert await bot.telegram_update(update) == 200
    assert bot.channels.stats["telegram"].as_dict()["ignored"] == 4
    assert bot.telegram.sent == []
    assert await bot.service.store.count_inquiries() == 0


async def test_stickers_and_photos_get_the_text_only_reply(bot: Bot) -> None:
    sticker = text_update(1, LAN, "")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {
        "file_id": "s1",
        "file_unique_id": "u1",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    assert await bot.telegram_update(sticker) == 200
    assert bot.telegram.sent[-1]["text"].startswith("Xin lỗi, tôi chỉ đọc được tin nhắn chữ.")
    (record,) = await bot.service.store.inquiries()
    assert record.message_kind == "sticker"


async def test_unknown_or_malformed_start_codes_greet_and_are_recorded(bot: Bot) -> None:
    store = bot.service.store
    await bot.telegram_update(text_update(1, LAN, "/start no-such-poster"))
    await bot.telegram_update(text_update(2, LAN + 1, "/start có dấu!! 0912345678"))
    assert [m["text"].startswith("Xin chào!") for m in bot.telegram.sent] == [True, True]
    assert await store.unknown_campaign_codes() == {"no-such-poster": 1, "có dấu!! [SĐT]": 1}
    assert {r.campaign for r in await store.inquiries()} == {None}


async def test_first_campaign_is_kept(bot: Bot) -> None:
    kb, store = bot.service.kb, bot.service.store
    await create_campaign(store, kb, "lc-radio", "Đài phát thanh Lào Cai", "lao-cai")
    await create_campaign(store, kb, "kg-poster", "Áp phích xã", "kien-giang")
    await bot.telegram_update(text_update(1, LAN, "/start lc-radio"))
    await bot.telegram_update(text_update(2, LAN, "/start kg-poster"))
    await bot.telegram_update(text_update(3, LAN, "di xkld can gi"))
    records = await store.inquiries()
    assert [r.campaign for r in records] == ["lc-radio"] * 3
    assert {r.province for r in records} == {"lao-cai"}


async def test_polling_mode_answers_without_a_webhook(start_bot: StartBot, service: BotService) -> None:
    bot = await start_bot(telegram_polling=True)
    assert (await bot.client.post("/telegram/webhook", json={})).status == 404
    await bot.telegram.updates.put(text_update(77, LAN, "/start"))
    while not bot.telegram.sent:
        bot.telegram.called.clear()
        await asyncio.wait_for(bot.telegram.called.wait(), timeout=10)
    await bot.channels.drain()
    assert bot.telegram.sent[0]["text"].startswith("Xin chào!")
    assert bot.telegram.calls_of("deleteWebhook")  # polling takes over from any webhook
    (record,) = await service.store.inquiries()
    assert record.external_id == "77" and record.delivery == "sent"


async def test_while_telegram_is_unreachable_updates_are_refused_for_a_retry(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.script("getMe", 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, times=2)
    bot = await start_bot()  # getMe fails at start-up: the web app starts anyway
    assert await bot.telegram_update(text_update(1, LAN, "/start")) == 503  # Telegram will deliver it again
    assert await bot.service.store.count_inquiries() == 0
    assert await bot.telegram_update(text_update(1, LAN, "/start")) == 200
    assert len(bot.telegram.sent) == 1


async def test_a_flooding_user_is_told_once_then_not_answered(bot: Bot) -> None:
    bot.service.limiter = UserLimiter(rate=0.1, burst=2, clock=bot.clock.now)
    for update_id in range(1, 6):
        assert await bot.telegram_update(text_update(update_id, LAN, "/help")) == 200
    texts = [m["text"] for m in bot.telegram.sent]
    assert len(texts) == 3 and texts[2] == bot.service.kb.text("slow_down")
    records = await bot.service.store.inquiries()
    assert [r.delivery for r in records] == ["sent", "sent", "sent", "none", "none"]  # all five recorded
