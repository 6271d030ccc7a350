"""Officials' replies from the dashboard reach the worker's own Telegram or Zalo chat."""

from __future__ import annotations

from bot.appkeys import DELIVERERS
from bot.delivery import Delivery
from tests.channels.conftest import Bot, StartBot


async def test_an_official_reply_goes_to_the_telegram_and_zalo_chats(bot: Bot) -> None:
    registry = bot.client.app[DELIVERERS]
    reply = "Cán bộ trả lời: bạn mang <CCCD> đến Trung tâm Dịch vụ việc làm."
    assert await registry.send(Delivery("telegram", "u1", "555001", reply))
    assert await registry.send(Delivery("zalo", "u2", "zl-1", reply))
    await bot.channels.drain()
    (sent,) = bot.telegram.sent
    assert sent["chat_id"] == "555001" and sent["text"] == reply.replace("<", "&lt;").replace(">", "&gt;")
    assert bot.zalo.sent == [{"chat_id": "zl-1", "text": reply}]


async def test_without_an_address_or_a_running_channel_nothing_is_sent(start_bot: StartBot) -> None:
    bot = await start_bot(zalo_token=None)
    registry = bot.client.app[DELIVERERS]
    assert not await registry.send(Delivery("telegram", "u1", None, "x"))
    assert not await registry.send(Delivery("zalo", "u2", "zl-1", "x"))
    assert bot.telegram.sent == [] and bot.zalo.sent == []
