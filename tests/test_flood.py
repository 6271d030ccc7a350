"""Per-user flood control: a user who floods is told once to slow down; others are unaffected."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from actions.respond import Responder
from actions.types import Policy
from bot.flood import RedisUserLimiter, UserLimiter, make_limiter
from bot.redis_link import RedisLink
from bot.service import BotService, IncomingMessage
from bot.settings import Settings
from bot.store.store import Store
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine
from tests.redisdb import RedisNamespace


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = UserLimiter(rate=0.5, burst=3, clock=clock)
    assert [await limiter.allow("a") for _ in range(5)] == [
        (True, False),
        (True, False),
        (True, False),
        (False, True),
        (False, False),
    ]
    assert await limiter.allow("b") == (True, False)  # another user has their own bucket
    clock.now += 2.0  # one message a two seconds comes back
    assert await limiter.allow("a") == (True, False)
    assert await limiter.allow("a") == (False, True)


async def test_buckets_are_bounded() -> None:
    limiter = UserLimiter(rate=1, burst=1, max_users=10)
    for i in range(100):
        await limiter.allow(f"u{i}")
    assert len(limiter._buckets) == 10


async def test_a_flooding_user_is_recorded_but_not_answered(
    kb: KnowledgeBase, engine: EmbeddedEngine, store: Store
) -> None:
    clock = Clock()
    service = BotService(
        kb, engine, Responder(kb, Policy.load()), store, b"k", limiter=UserLimiter(rate=0.5, burst=3, clock=clock)
    )
    replies = []
    for i in range(10):
        handled = await service.handle(IncomingMessage(channel="web", user_ref="flood", text=f"xkld {i}"))
        replies.append(handled.outcome.reply.text)
    assert all(replies[:3])
    assert replies[3] == kb.text("slow_down")
    assert replies[4:] == [""] * 6
    other = await service.handle(IncomingMessage(channel="web", user_ref="calm", text="bao hiem that nghiep"))
    assert other.outcome.entry == "kg_bao_hiem_that_nghiep"
    records = await store.inquiries()
    assert len(records) == 11  # every message is still in the log
    assert [r.outcome for r in records].count("rate_limited") == 7


@pytest.fixture
async def two_links(redis_ns: RedisNamespace) -> AsyncIterator[tuple[RedisLink, RedisLink]]:
    """Two clients of one Redis, as two bot processes have."""
    links = RedisLink(redis_ns.url), RedisLink(redis_ns.url)
    yield links
    for link in links:
        await link.close()


@pytest.mark.redis
async def test_processes_sharing_redis_share_each_users_bucket(
    redis_ns: RedisNamespace, two_links: tuple[RedisLink, RedisLink]
) -> None:
    clock = Clock()
    a, b = (RedisUserLimiter(rate=0.5, burst=10, link=link, prefix=redis_ns.prefix, clock=clock) for link in two_links)
    alternating = [await (a if i % 2 == 0 else b).allow("flood") for i in range(14)]
    assert alternating == [(True, False)] * 10 + [(False, True)] + [(False, False)] * 3  # told once, by either
    assert await b.allow("calm") == (True, False)  # another user has their own bucket
    clock.now += 4.0  # two messages come back at 0.5 a second, whichever process counts them
    assert [await a.allow("flood"), await b.allow("flood"), await a.allow("flood")] == [
        (True, False),
        (True, False),
        (False, True),  # allowed in between: told again
    ]


@pytest.mark.redis
async def test_shared_buckets_expire_once_full_again(
    redis_ns: RedisNamespace, two_links: tuple[RedisLink, RedisLink]
) -> None:
    limiter = RedisUserLimiter(rate=2.0, burst=10, link=two_links[0], prefix=redis_ns.prefix, clock=Clock())
    for _ in range(4):
        await limiter.allow("user")
    ((key, ttl),) = (await redis_ns.keys()).items()
    assert key == f"{redis_ns.prefix}flood:user"
    assert 2000 < ttl <= 3000  # 4 tokens short refill in 2 s, plus a second's margin


@pytest.mark.redis
async def test_a_flooding_user_of_a_shared_limiter_is_recorded_but_not_answered(
    kb: KnowledgeBase, engine: EmbeddedEngine, store: Store, redis_ns: RedisNamespace
) -> None:
    settings = Settings(_env_file=None, redis_url=redis_ns.url, redis_prefix=redis_ns.prefix, user_burst=3)  # type: ignore[call-arg]
    limiter = make_limiter(settings, RedisLink(redis_ns.url))
    assert isinstance(limiter, RedisUserLimiter)
    service = BotService(kb, engine, Responder(kb, Policy.load()), store, b"k", limiter=limiter)
    try:
        replies = [
            (await service.handle(IncomingMessage(channel="web", user_ref="flood", text=f"xkld {i}"))).outcome
            for i in range(5)
        ]
    finally:
        await limiter.close()
    assert [o.kind == "rate_limited" for o in replies] == [False, False, False, True, True]
    assert [o.reply.text for o in replies[3:]] == [kb.text("slow_down"), ""]
    assert len(await store.inquiries()) == 5


def test_without_a_redis_url_the_limiter_is_the_process_own() -> None:
    limiter = make_limiter(Settings(_env_file=None), None)  # type: ignore[call-arg]
    assert type(limiter) is UserLimiter
