"""Per-user flood control: a user who floods is told once to slow down; others are unaffected."""

from __future__ import annotations

from actions.respond import Responder
from actions.types import Policy
from bot.flood import UserLimiter
from bot.service import BotService, IncomingMessage
from bot.store.store import Store
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = UserLimiter(rate=0.5, burst=3, clock=clock)
    assert [limiter.allow("a") for _ in range(5)] == [
        (True, False),
        (True, False),
        (True, False),
        (False, True),
        (False, False),
    ]
    assert limiter.allow("b") == (True, False)  # another user has their own bucket
    clock.now += 2.0  # one message a two seconds comes back
    assert limiter.allow("a") == (True, False)
    assert limiter.allow("a") == (False, True)


def test_buckets_are_bounded() -> None:
    limiter = UserLimiter(rate=1, burst=1, max_users=10)
    for i in range(100):
        limiter.allow(f"u{i}")
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
