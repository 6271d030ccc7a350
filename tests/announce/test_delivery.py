"""Announcements delivered by the serve process's sender against the fake Bot APIs, on a fake
clock: paced within the limits, 429s honoured, blocked workers marked, none to those who left,
replies to workers ahead of announcements."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from bot.announce import store as announcements
from bot.announce.sender import Sender
from bot.channels.ratelimit import Pacer
from tests.announce.helpers import add_subscribers
from tests.channels.conftest import Bot
from tests.conftest import TEST_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.server import Limits
from tests.fakes.telegram import text_update
from tests.redisdb import RedisNamespace


async def deliver_all(bot: Bot) -> Sender:
    sender = bot.channels.sender
    assert sender is not None
    while await sender.round():
        pass
    return sender


def windows(times: list[float], width: float = 1.0) -> int:
    """The most sends in any window of `width` seconds."""
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - width + 1e-9:  # a half-open second (float sums of 1/30 s)
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_a_broadcast_reaches_each_subscriber_once_within_the_limits(bot: Bot) -> None:
    bot.telegram.limits = Limits(now=bot.clock.now)
    bot.zalo.limits = Limits(now=bot.clock.now)
    tg_chats = [str(800000 + i) for i in range(90)]
    zl_chats = [f"zl-{i}" for i in range(30)]
    await add_subscribers(bot.service.store, TEST_KEY, tg_chats, "telegram")
    await add_subscribers(bot.service.store, TEST_KEY, zl_chats, "zalo")
    made = await announcements.create(bot.service.store, "Hội chợ việc làm Lào Cai, 8 giờ ngày 20/12")
    await deliver_all(bot)
    assert Counter(m["chat_id"] for m in bot.telegram.sent) == Counter(tg_chats)
    assert Counter(m["chat_id"] for m in bot.zalo.sent) == Counter(zl_chats)
    text = bot.telegram.sent[0]["text"]
    assert "Hội chợ việc làm Lào Cai" in text and "/huy" in text and "parse_mode" not in bot.telegram.sent[0]
    assert bot.telegram.limits.refused == [] and bot.zalo.limits.refused == []
    assert windows([t for t, _ in bot.telegram.limits.accepted]) <= 30
    status = await announcements.status(bot.service.store, made)
    assert status == {
        "targets": 120, "sent": 120, "failed": 0, "pending": 0, "unsubscribed": 0, "blocked": 0, "cancelled": 0
    }  # fmt: skip


async def test_a_429_is_honoured_and_the_message_still_goes_once(bot: Bot) -> None:
    await add_subscribers(bot.service.store, TEST_KEY, ["810001", "810002"])
    bot.telegram.script("sendMessage", 429, bot.telegram.too_many(7))
    await announcements.create(bot.service.store, "Khóa bồi dưỡng trước khi đi Hàn Quốc")
    started = bot.clock.now()
    await deliver_all(bot)
    assert sorted(m["chat_id"] for m in bot.telegram.sent[1:]) == ["810001", "810002"]  # the 429'd call, then both
    assert bot.clock.now() - started >= 7
    assert 7 in bot.clock.sleeps or any(s >= 6.9 for s in bot.clock.sleeps)


async def test_blocked_workers_are_marked_not_retried_and_get_nothing_more(bot: Bot) -> None:
    await add_subscribers(bot.service.store, TEST_KEY, ["820001", "820002"])
    bot.telegram.blocked.add("820002")
    first = await announcements.create(bot.service.store, "Thông báo 1")
    await deliver_all(bot)
    status = await announcements.status(bot.service.store, first)
    assert status is not None and status["sent"] == 1 and status["blocked"] == 1 and status["pending"] == 0
    assert [m["chat_id"] for m in bot.telegram.sent].count("820002") == 1  # tried once
    second = await announcements.create(bot.service.store, "Thông báo 2")
    await deliver_all(bot)
    assert (await announcements.status(bot.service.store, second) or {})["targets"] == 1  # the blocker left


async def test_nothing_goes_to_those_who_left_before_it_was_sent(bot: Bot) -> None:
    await bot.telegram_update(text_update(1, 830001, "/tinh lao cai"))
    await bot.telegram_update(text_update(2, 830001, "/dangky"))
    await add_subscribers(bot.service.store, TEST_KEY, ["830002"])
    made = await announcements.create(bot.service.store, "Lớp tiếng Hàn")
    await bot.telegram_update(text_update(3, 830001, "/huy"))
    before = len(bot.telegram.sent)
    await deliver_all(bot)
    assert [m["chat_id"] for m in bot.telegram.sent[before:]] == ["830002"]
    status = await announcements.status(bot.service.store, made)
    assert status is not None and status["unsubscribed"] == 1 and status["sent"] == 1


async def test_a_cancelled_or_scheduled_announcement_is_not_sent(bot: Bot) -> None:
    import datetime as dt

    await add_subscribers(bot.service.store, TEST_KEY, ["840001"])
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    scheduled = await announcements.create(bot.service.store, "Sau này", send_at=later)
    cancelled = await announcements.create(bot.service.store, "Hủy rồi")
    assert await announcements.cancel(bot.service.store, cancelled)
    await deliver_all(bot)
    assert bot.telegram.sent == []
    assert (await announcements.status(bot.service.store, scheduled) or {})["targets"] == 0
    assert (await announcements.status(bot.service.store, cancelled) or {})["cancelled"] == 1
    assert not await announcements.cancel(bot.service.store, cancelled)  # already


async def test_replies_to_workers_go_before_waiting_announcements() -> None:
    clock = FakeClock()
    pacer = Pacer(per_chat=1.0, overall=10.0, clock=clock)
    order: list[str] = []

    async def announce(n: int) -> None:
        for i in range(n):
            await pacer.wait_low(f"sub{i}")
            order.append(f"a{i}")

    async def reply(i: int) -> None:
        await pacer.wait(f"worker{i}")
        order.append(f"r{i}")

    broadcast = asyncio.ensure_future(announce(20))
    await clock.sleep(0.5)  # a few announcements out
    await asyncio.gather(*(reply(i) for i in range(5)))
    replies_done = len(order)
    await broadcast
    first_reply = order.index("r0")
    assert all(o.startswith("r") for o in order[first_reply + 1 : replies_done])  # at most one announcement between
    assert order.index("r4") - first_reply <= 5


@pytest.mark.redis
async def test_with_redis_a_reply_of_another_process_waits_behind_at_most_one_announcement(
    redis_ns: RedisNamespace,
) -> None:
    from bot.channels.ratelimit import RedisPacer
    from bot.redis_link import RedisLink

    clock = FakeClock(start=time.time())
    link = RedisLink(redis_ns.url)
    broadcasting = RedisPacer(1.0, 30.0, clock, link, redis_ns.prefix)
    replying = RedisPacer(1.0, 30.0, clock, link, redis_ns.prefix)
    booked: list[tuple[str, float]] = []

    async def announce(n: int) -> None:
        for i in range(n):
            await broadcasting.wait_low(f"sub{i}")
            booked.append(("a", clock.now()))

    flood = asyncio.gather(*(announce(30) for _ in range(3)))  # three senders, as if three processes
    await clock.sleep(0.3)
    asked = clock.now()
    await replying.wait("worker")
    waited = clock.now() - asked
    await flood
    await link.close()
    assert waited <= 2 / 30 + 1e-6, f"the reply waited {waited:.3f} s behind announcements"
    assert len(booked) == 90
