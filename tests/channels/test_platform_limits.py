"""The fakes refuse what Telegram and Zalo would (tests/fakes/limits.py), and nothing the bot
renders trips them: long answers and officials' replies are split cleanly, text is escaped."""

from __future__ import annotations

import random
from typing import Any

import aiohttp
import pytest

from actions.types import Option, Reply
from bot.appkeys import DELIVERERS
from bot.delivery import Delivery
from tests.channels.conftest import Bot
from tests.fakes import telegram as fake_tg
from tests.fakes import zalo as fake_zl
from tests.fakes.limits import telegram_visible_text
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo

EMOJI = "🇻🇳"  # two code points, four UTF-16 code units


async def post(url: str, token: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.post(f"{url}/bot{token}/sendMessage", json=params) as res:
        return res.status, await res.json()


@pytest.mark.parametrize(
    ("params", "refusal"),
    [
        ({"text": "a" * 4097}, "Bad Request: message is too long"),
        ({"text": "👍" * 2048 + "a"}, "Bad Request: message is too long"),  # 2049 characters, 4097 UTF-16 units
        ({"text": "1 < 2", "parse_mode": "HTML"}, "Bad Request: can't parse entities: Unsupported start tag"),
        (
            {"text": "<br>xin chào", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "br"',
        ),
        ({"text": "<i>xin chào", "parse_mode": "HTML"}, "Bad Request: can't parse entities: Can't find end tag"),
        ({"text": "<b>x</i>", "parse_mode": "HTML"}, "Bad Request: can't parse entities: Unmatched end tag"),
        ({"text": "<b></b>", "parse_mode": "HTML"}, "Bad Request: message text is empty"),
        (
            {"text": "x", "reply_markup": {"inline_keyboard": [[{"text": "Có", "callback_data": "đ" * 33}]]}},
            "Bad Request: BUTTON_DATA_INVALID",  # 66 bytes
        ),
    ],
)
async def test_the_fake_telegram_refuses_what_telegram_would(
    fake_telegram: FakeTelegram, params: dict[str, Any], refusal: str
) -> None:
    status, body = await post(fake_telegram.url, fake_tg.TOKEN, {"chat_id": 1, **params})
    assert status == 400 and body["ok"] is False and body["description"].startswith(refusal)
    assert fake_telegram.sent == [] and fake_telegram.refused[0][0] == body["description"]


@pytest.mark.parametrize(
    "params",
    [
        {"text": "a" * 4096},
        {"text": "👍" * 2048},
        {"text": "<i>1 &lt; 2 &amp;&amp; 3 &gt; 2</i> &#8364; &#x20AB; R&D", "parse_mode": "HTML"},
        {"text": "x", "reply_markup": {"inline_keyboard": [[{"text": "Có", "callback_data": "đ" * 32}]]}},
    ],
)
async def test_the_fake_telegram_takes_what_telegram_takes(fake_telegram: FakeTelegram, params: dict[str, Any]) -> None:
    status, body = await post(fake_telegram.url, fake_tg.TOKEN, {"chat_id": 1, **params})
    assert (status, body["ok"]) == (200, True)
    assert len(fake_telegram.sent) == 1


def test_telegram_shows_html_as_text() -> None:
    assert telegram_visible_text("<i>1 &lt; 2 &amp; R&D</i>") == "1 < 2 & R&D"


async def test_the_fake_zalo_refuses_more_than_2000_characters(fake_zalo: FakeZalo) -> None:
    status, body = await post(fake_zalo.url, fake_zl.TOKEN, {"chat_id": "z", "text": "ư" * 2001})
    assert status == 200 and body["ok"] is False and body["error_code"] == 400
    assert (await post(fake_zalo.url, fake_zl.TOKEN, {"chat_id": "z", "text": "ư" * 2000}))[1]["ok"] is True
    assert (await post(fake_zalo.url, fake_zl.TOKEN, {"chat_id": "z", "text": " "}))[1]["ok"] is False
    assert len(fake_zalo.sent) == 1


def long_answer(rng: random.Random, prefix: str) -> str:
    """An answer far over both limits, with what trips a careless renderer: markup-like text,
    ampersands, emoji, a paragraph with no line break, a "word" longer than any message."""
    words = ["lao động", "<b>", "R&D", "a < b", "&amp;", EMOJI, "hợp đồng", "Hàn Quốc", "x>y", "&#1;"]
    paragraphs = []
    for _ in range(rng.randint(3, 12)):
        size = rng.choice([5, 80, 400, 1500])
        paragraphs.append(" ".join(rng.choice(words) for _ in range(size)))
    paragraphs.insert(rng.randrange(len(paragraphs)), "ư" * 5000)  # one "word" longer than any message
    paragraphs.append(f"{prefix}Nghị quyết <số 1> & kế hoạch")
    return "\n\n".join(paragraphs)


def words_of(texts: list[str]) -> str:
    """The texts run together without their white space: what was said, however it was split."""
    return "".join("".join(texts).split())


async def test_long_replies_reach_telegram_whole_and_unrefused(bot: Bot) -> None:
    channel = bot.channels.telegram
    assert channel is not None and await channel.ready()
    kb = bot.service.kb
    rng = random.Random(15)
    for case in range(5):
        text = long_answer(rng, kb.text("source_prefix"))
        options = [Option("Có", "e:" + "x" * 70), Option("Một lựa chọn", "e:ok")]  # data over 64 bytes is left out
        reply = Reply(text=text, options=options, ask_feedback=True)
        before = len(bot.telegram.sent)
        await channel.send_stored(str(100 + case), channel.render(reply))
        assert bot.telegram.refused == []
        sent = bot.telegram.sent[before:]
        shown = [telegram_visible_text(m["text"]) for m in sent]
        assert words_of(shown) == words_of([text, kb.text("feedback_prompt")])
        assert all(0 < len(s.encode("utf-16-le")) // 2 <= 4096 for s in shown)
        keyboard = sent[-1]["reply_markup"]["inline_keyboard"]
        assert [b["callback_data"] for row in keyboard for b in row] == ["e:ok", "f:1", "f:0"]


async def test_long_replies_reach_zalo_whole_and_unrefused(bot: Bot) -> None:
    channel = bot.channels.zalo
    assert channel is not None
    rng = random.Random(2000)
    for case in range(5):
        text = long_answer(rng, bot.service.kb.text("source_prefix"))
        before = len(bot.zalo.sent)
        await channel.send_stored(f"zl-{case}", channel.render(Reply(text=text, ask_feedback=True)))
        assert bot.zalo.refused == []
        shown = [m["text"] for m in bot.zalo.sent[before:]]
        assert words_of(shown).startswith(words_of([text]))
        assert all(0 < len(s) <= 2000 for s in shown)


async def test_a_long_official_reply_is_split_for_each_platform(bot: Bot) -> None:
    registry = bot.client.app[DELIVERERS]
    answer = " ".join(["Bạn mang <CCCD> & hộ khẩu đến Trung tâm."] * 250)  # ~10,000 characters
    assert await registry.send(Delivery("telegram", "u1", "555001", answer))
    assert await registry.send(Delivery("zalo", "u2", "zl-1", answer))
    await bot.channels.drain()
    assert bot.telegram.refused == [] and bot.zalo.refused == []
    assert words_of([telegram_visible_text(m["text"]) for m in bot.telegram.sent]) == words_of([answer])
    assert words_of([m["text"] for m in bot.zalo.sent]) == words_of([answer])
    assert len(bot.telegram.sent) == 3 and len(bot.zalo.sent) == 6
