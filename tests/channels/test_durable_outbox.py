"""Replies survive a crash: each waits in the store's outbox (chat address encrypted) from the
moment its record is written until it is sent; then the row, address and text, is gone."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.models import Inquiry, OutboxMessage
from bot.store.store import Store
from tests.channels.conftest import StartBot
from tests.fakes.telegram import FakeTelegram, text_update
from tests.fakes.zalo import FakeZalo, text_event

LAN = 555_777_001
QUESTION = "đi xuất khẩu lao động Nhật cần gì"
BAD_GATEWAY = {"ok": False, "error_code": 502, "description": "Bad Gateway"}


async def outbox_rows(store: Store) -> list[OutboxMessage]:
    async with store.sessions() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def deliveries(store: Store) -> list[str | None]:
    async with store.sessions() as session:
        return list((await session.execute(select(Inquiry.delivery).order_by(Inquiry.id))).scalars())


async def test_a_reply_telegram_did_not_take_waits_in_the_outbox_and_goes_later(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    bot = await start_bot(outbox_lease_seconds=0.001, outbox_poll_seconds=3600)
    fake_telegram.script("sendMessage", 502, BAD_GATEWAY)  # Telegram away for a moment
    assert await bot.telegram_update(text_update(1, LAN, QUESTION)) == 200
    store = bot.service.store
    [row] = await outbox_rows(store)
    assert str(LAN) not in row.address  # the chat address is encrypted
    assert bot.service.addresses.decrypt(row.address) == str(LAN)
    assert row.messages[0]["parse_mode"] == "HTML" and row.messages[0]["text"]
    assert await deliveries(store) == ["pending"]
    telegram = bot.channels.telegram
    assert telegram is not None
    assert await telegram.pump() == 1  # what a restarted process (or the periodic pump) does
    await bot.channels.drain()
    assert [m["chat_id"] for m in fake_telegram.sent] == [str(LAN), str(LAN)]  # the failed try, then the reply
    assert fake_telegram.sent[1]["text"] == row.messages[0]["text"]
    assert await outbox_rows(store) == []  # address and text erased once sent
    assert await deliveries(store) == ["sent"]
    assert await telegram.pump() == 0  # nothing left to send twice


async def test_sent_replies_leave_no_row_and_their_status(start_bot: StartBot, fake_zalo: FakeZalo) -> None:
    bot = await start_bot()
    assert await bot.zalo_event(text_event("m1", "zuser1", QUESTION)) == 200
    assert await bot.zalo_event(text_event("m2", "zuser1", "/help")) == 200
    assert len(fake_zalo.calls_of("sendMessage")) >= 2
    assert await outbox_rows(bot.service.store) == []
    assert await deliveries(bot.service.store) == ["sent", "sent"]
