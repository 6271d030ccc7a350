"""Handoff ticket codes on Telegram, Zalo and the web chat: the worker gets a code with the
handoff, `/ma CODE` (or "ma CODE") shows them its status and the officials' answers — and
shows nothing of it to anyone else who types the same code."""

from __future__ import annotations

import re

from bot.admin.queries import Dashboard
from bot.store.models import Handoff
from bot.tickets import ALPHABET, CODE_LENGTH, clean_code, new_code
from tests.channels.conftest import Bot
from tests.fakes.telegram import text_update
from tests.fakes.zalo import text_event

CODE = re.compile(r"Mã yêu cầu của bạn: ([A-Z0-9]{6})\.")
TG_WORKER, ZALO_STRANGER = 555123, "zl-stranger"


def code_in(text: str) -> str:
    found = CODE.search(text)
    assert found, text
    return found.group(1)


async def handoff_with(bot: Bot, code: str) -> Handoff:
    [handoff] = [h for h in await bot.service.store.handoffs(status=None) if h.code == code]
    return handoff


def test_codes_are_six_unambiguous_characters_with_a_digit() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) and any(c.isdigit() for c in code)
        assert not set(code) & set("0O1IL")
    assert clean_code(" k7m-2qx ") == "K7M2QX"


async def test_a_telegram_worker_follows_their_request_by_its_code(bot: Bot) -> None:
    kb, board = bot.service.kb, Dashboard(bot.service.store)
    await bot.telegram_update(text_update(1, TG_WORKER, "/nguoi công ty giữ hộ chiếu của em"))
    told = bot.telegram.sent[-1]["text"]
    assert "Tôi đã chuyển câu hỏi của bạn cho cán bộ" in told
    code = code_in(told)
    handoff = await handoff_with(bot, code)
    assert handoff.question == "công ty giữ hộ chiếu của em"

    await bot.telegram_update(text_update(2, TG_WORKER, f"/ma {code}"))
    status = bot.telegram.sent[-1]["text"]
    assert f"Yêu cầu mã {code}" in status and kb.responses["ticket_states"]["waiting"] in status
    assert "công ty giữ hộ chiếu của em" in status

    await board.take(handoff.id, "canbo1", handoff.created_at)
    await bot.telegram_update(text_update(3, TG_WORKER, f"mã {code.lower()}"))  # no slash, any case
    assert kb.responses["ticket_states"]["answering"] in bot.telegram.sent[-1]["text"]

    answer = "Bạn đến Sở Nội vụ tỉnh, mang theo hợp đồng."
    await board.record_reply(handoff, f"💬 …{answer}", answer, "canbo1", delivered=True)
    await bot.telegram_update(text_update(4, TG_WORKER, f"Ma {code[:3]}-{code[3:]}"))
    status = bot.telegram.sent[-1]["text"]
    assert kb.responses["ticket_states"]["answered"] in status
    assert "Cán bộ trả lời lúc" in status and answer in status and "💬 …" not in status

    await bot.telegram_update(text_update(5, TG_WORKER, "/ma"))  # no code: the worker's requests
    listing = bot.telegram.sent[-1]["text"]
    assert f"• {code}: {kb.responses['ticket_states']['answered']}" in listing


async def test_another_worker_typing_the_code_sees_nothing_of_it(bot: Bot) -> None:
    board = Dashboard(bot.service.store)
    await bot.telegram_update(text_update(1, TG_WORKER, "/nguoi chủ nợ lương ba tháng"))
    code = code_in(bot.telegram.sent[-1]["text"])
    handoff = await handoff_with(bot, code)
    answer = "Chúng tôi đã gọi cho doanh nghiệp của bạn."
    await board.record_reply(handoff, answer, answer, "canbo1", delivered=True)

    for n, typed in enumerate((f"ma {code}", f"/ma {code}")):
        await bot.zalo_event(text_event(f"z{n}", ZALO_STRANGER, typed))
        seen = bot.zalo.sent[-1]["text"]
        assert seen == bot.service.kb.text("ticket_not_found").format(code=code)
        assert answer not in seen and "chủ nợ lương" not in seen
    await bot.client.post("/api/chat", json={"text": f"/ma {code}"})  # nor a web chat visitor
    web = await bot.client.post("/api/chat", json={"text": f"ma {code}"})
    assert (await web.json())["reply"]["text"] == bot.service.kb.text("ticket_not_found").format(code=code)


async def test_zalo_and_web_workers_get_and_use_their_codes(bot: Bot) -> None:
    kb = bot.service.kb
    await bot.zalo_event(text_event("m1", "zl-worker", "nguoi"))  # the keyword, then the question
    await bot.zalo_event(text_event("m2", "zl-worker", "em muốn hỏi về vay vốn đi Hàn Quốc"))
    code = code_in(bot.zalo.sent[-1]["text"])
    await bot.zalo_event(text_event("m3", "zl-worker", f"ma {code}"))
    assert kb.responses["ticket_states"]["waiting"] in bot.zalo.sent[-1]["text"]

    res = await bot.client.post("/api/chat", json={"text": "/nguoi học tiếng Hàn ở đâu"})
    web_code = code_in((await res.json())["reply"]["text"])
    res = await bot.client.post("/api/chat", json={"text": f"mã {web_code}"})
    assert f"Yêu cầu mã {web_code}" in (await res.json())["reply"]["text"]
    assert web_code != code


async def test_words_after_ma_are_not_taken_for_a_code(bot: Bot) -> None:
    await bot.zalo_event(text_event("m1", "zl-worker", "ma thuong"))
    await bot.zalo_event(text_event("m2", "zl-worker", "mã số thuế"))
    records = await bot.service.store.inquiries()
    assert [r.outcome for r in records] != ["ticket", "ticket"] and "ticket" not in {r.outcome for r in records}
