"""Sending within the platforms' limits, on a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable

import pytest
from telegram.error import BadRequest, RetryAfter

from bot.appkeys import REDIS
from bot.channels.ratelimit import LoopClock, Pacer, RedisPacer, WallClock, make_pacer, paced
from bot.channels.telegram_http import TelegramRateLimiter, telegram_retry_after
from bot.privacy import redis_id
from bot.redis_link import RedisLink
from tests.channels.conftest import StartBot
from tests.fakes import telegram as fake_tg
from tests.fakes import zalo as fake_zl
from tests.fakes.clock import FakeClock
from tests.redisdb import RedisNamespace


async def send_times(pacer: Pacer, clock: FakeClock, chats: list[Hashable]) -> dict[Hashable, list[float]]:
    """When each send goes out, by chat, if all of them are asked for at the same moment."""
    start = clock.now()
    times: dict[Hashable, list[float]] = {}

    async def send(chat: Hashable) -> None:
        await pacer.wait(chat)
        times.setdefault(chat, []).append(round(clock.now() - start, 4))

    await asyncio.gather(*(send(c) for c in chats))
    return times


async def test_one_message_a_second_per_chat_without_holding_other_chats_back() -> None:
    clock = FakeClock()
    times = await send_times(Pacer(per_chat=1, overall=30, clock=clock), clock, ["a", "a", "a", "b", "c"])
    assert times["a"] == pytest.approx([0.0, 1.0, 2.0], abs=0.04)
    assert max(times["b"] + times["c"]) < 0.1  # not stuck behind chat a's queue


async def test_thirty_a_second_in_all() -> None:
    clock = FakeClock()
    times = await send_times(Pacer(per_chat=1, overall=30, clock=clock), clock, list(range(90)))
    moments = sorted(t for ts in times.values() for t in ts)
    assert moments[0] == 0.0 and moments[-1] == pytest.approx(89 / 30, abs=1e-3)
    assert sum(1 for t in moments if t < 1.0) == 30


async def test_a_429_holds_sends_back_and_is_retried() -> None:
    clock = FakeClock(start=0.0)
    pacer = Pacer(per_chat=1, overall=30, clock=clock)
    attempts: list[float] = []

    async def request() -> str:
        attempts.append(clock.now())
        if len(attempts) == 1:
            raise RetryAfter(5)
        return "ok"

    assert await paced(pacer, "a", request, telegram_retry_after, retries=3) == "ok"
    assert attempts == pytest.approx([0.0, 5.0])
    assert clock.sleeps == pytest.approx([5.0])
    await pacer.wait("b")
    assert clock.now() == pytest.approx(5.0 + 1 / 30)  # the next send waits its overall turn


async def test_other_errors_and_exhausted_retries_are_raised() -> None:
    clock = FakeClock()
    pacer = Pacer(per_chat=1, overall=30, clock=clock)

    async def refused() -> None:
        raise BadRequest("chat not found")

    with pytest.raises(BadRequest):
        await paced(pacer, "a", refused, telegram_retry_after, retries=3)

    async def flooded() -> None:
        raise RetryAfter(2)

    with pytest.raises(RetryAfter):
        await paced(pacer, "b", flooded, telegram_retry_after, retries=2)
    assert clock.sleeps.count(2.0) == 2


async def test_ptb_requests_without_a_chat_are_not_paced() -> None:
    clock = FakeClock(start=0.0)
    limiter = TelegramRateLimiter(Pacer(per_chat=1, overall=1, clock=clock), retries=0)

    async def call() -> bool:
        return True

    for _ in range(5):
        await limiter.process_request(call, (), {}, "answerCallbackQuery", {"callback_query_id": "1"}, None)
    assert clock.sleeps == []
    for _ in range(2):
        await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 7, "text": "x"}, None)
    assert clock.sleeps == [1.0]


@pytest.fixture
async def two_pacers(redis_ns: RedisNamespace) -> AsyncIterator[tuple[RedisPacer, RedisPacer, FakeClock]]:
    """The pacers of two processes, each with its own Redis client, on one fake clock."""
    clock = FakeClock()
    pacers = tuple(RedisPacer(1, 30, clock, RedisLink(redis_ns.url), f"{redis_ns.prefix}telegram:") for _ in range(2))
    yield pacers[0], pacers[1], clock
    for pacer in pacers:
        await pacer.close()


@pytest.mark.redis
async def test_shared_pacers_book_overall_slots_one_after_another(
    two_pacers: tuple[RedisPacer, RedisPacer, FakeClock],
) -> None:
    a, b, clock = two_pacers
    start = clock.now()
    answers = await asyncio.gather(*((a if i % 2 == 0 else b).book(f"chat{i}", start) for i in range(60)))
    assert all(answer is not None and answer[0] for answer in answers)
    moments = sorted(answer[1] - start for answer in answers if answer is not None)
    assert moments == pytest.approx([i / 30 for i in range(60)])  # 30 a second across both, no two at once


@pytest.mark.redis
async def test_shared_pacers_space_one_chat_without_holding_other_chats_back(
    two_pacers: tuple[RedisPacer, RedisPacer, FakeClock],
) -> None:
    a, b, clock = two_pacers
    start = clock.now()
    assert await a.book("lan", start) == (True, start)
    assert await b.book("lan", start) == (False, start + 1.0)  # not due: nothing booked, ask again then
    assert await b.book("minh", start) == pytest.approx((True, start + 1 / 30))  # the next overall slot
    assert await b.book("lan", start + 1.0) == (True, start + 1.0)
    assert await a.book("lan", start + 1.0) == (False, start + 2.0)


@pytest.mark.redis
async def test_shared_pacers_send_in_turn_on_the_clock(two_pacers: tuple[RedisPacer, RedisPacer, FakeClock]) -> None:
    a, b, clock = two_pacers
    start = clock.now()
    sent = []
    for pacer, chat in [(a, "lan"), (b, "lan"), (b, "minh"), (a, "lan"), (b, "hoa")]:
        await pacer.wait(chat)
        sent.append((chat, clock.now() - start))
    # Each process sleeps on its clock until the moment Redis booked: chat lan once a second,
    # minh and hoa in the overall slot after it, though another process sent the last message.
    assert [chat for chat, _ in sent] == ["lan", "lan", "minh", "lan", "hoa"]
    assert [moment for _, moment in sent] == pytest.approx([0.0, 1.0, 1 + 1 / 30, 2.0, 2 + 1 / 30])


@pytest.mark.redis
async def test_a_429_in_one_process_holds_the_others_back(
    two_pacers: tuple[RedisPacer, RedisPacer, FakeClock], redis_ns: RedisNamespace
) -> None:
    a, b, clock = two_pacers
    start = clock.now()
    attempts: list[float] = []

    async def request() -> str:
        attempts.append(clock.now() - start)
        if len(attempts) == 1:
            raise RetryAfter(5)
        return "ok"

    assert await paced(a, "lan", request, telegram_retry_after, retries=3) == "ok"
    assert attempts == pytest.approx([0.0, 5.0])
    await b.wait(None)  # another process's next send, into no chat, waits out the hold too
    assert clock.now() - start == pytest.approx(5.0 + 1 / 30)
    ttls = await redis_ns.keys()
    chat_key = f"{redis_ns.prefix}telegram:pace:chat:{redis_id(b'', 'lan')}"  # chat ids hashed (issue 11)
    assert set(ttls) == {f"{redis_ns.prefix}telegram:pace:next", chat_key}
    assert all(0 < ttl <= 6000 for ttl in ttls.values())  # nothing outlives what it holds back (+1 s)


def test_a_redis_link_makes_the_pacer_shared_and_on_wall_clock_time() -> None:
    assert type(make_pacer(1, 30, LoopClock(), None, "p:")) is Pacer
    shared = make_pacer(1, 30, LoopClock(), RedisLink("redis://127.0.0.1:6379/0"), "p:")
    assert isinstance(shared, RedisPacer) and isinstance(shared.clock, WallClock)
    fake = FakeClock()
    assert make_pacer(1, 30, fake, RedisLink("redis://127.0.0.1:6379/0"), "p:").clock is fake


@pytest.mark.redis
async def test_with_redis_both_channels_book_their_sends_there_and_close_on_shutdown(
    start_bot: StartBot, redis_ns: RedisNamespace
) -> None:
    bot = await start_bot(redis_url=redis_ns.url, redis_prefix=redis_ns.prefix)
    bot.telegram.script("sendMessage", 429, fake_tg.too_many_requests(7))
    assert await bot.telegram_update(fake_tg.text_update(1, 555001, "/start")) == 200
    assert await bot.zalo_event(fake_zl.text_event("m1", "zl-lan", "/start")) == 200
    assert len(bot.telegram.sent) == 2 and len(bot.zalo.sent) >= 1  # the 429 retried, both answered
    p = redis_ns.prefix
    keys = set(await redis_ns.keys())
    assert keys == {
        f"{p}telegram:pace:next",
        f"{p}telegram:pace:chat:{redis_id(b'test', 555001)}",  # chat ids hashed with the hash key (issue 11)
        f"{p}zalo:pace:next",
        f"{p}zalo:pace:chat:{redis_id(b'test', 'zl-lan')}",
    }
    link = bot.client.app[REDIS]  # the one link the composition root made
    assert link._client is not None
    await bot.client.close()  # the app stops: the channels close their pacers
    assert link._client is None
