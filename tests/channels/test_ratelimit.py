"""Sending within the platforms' limits, on a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest
from telegram.error import BadRequest, RetryAfter

from bot.channels.ratelimit import Pacer, TelegramRateLimiter, paced, telegram_retry_after
from tests.fakes.clock import FakeClock


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
