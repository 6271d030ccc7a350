"""Limits shared through Redis never stop the bot: without Redis each process limits on its own."""

from __future__ import annotations

import logging
import socket

import pytest

from bot.channels.ratelimit import RedisPacer
from bot.flood import RedisUserLimiter
from bot.redis_link import RedisLink
from tests.fakes.clock import FakeClock
from tests.redisdb import RedisNamespace
from tests.tcp_proxy import TcpProxy


class Ticker:
    """A fake clock to call: for the limiter's time and the link's pause between tries."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def dead_url() -> str:
    """A loopback port nothing listens on: every connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def link_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.redis_link" and r.levelno == logging.WARNING]


async def test_without_redis_the_limiter_counts_in_process_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.redis_link")
    clock, monotonic = Ticker(), Ticker()
    link = RedisLink(dead_url(), monotonic=monotonic)
    limiter = RedisUserLimiter(rate=0.5, burst=3, link=link, prefix="t:", clock=clock)
    results = []
    for _ in range(5):
        results.append(await limiter.allow("flood"))
        monotonic.now += 1.0  # past the pause: Redis is tried again each time, and refused each time
    assert results == [(True, False), (True, False), (True, False), (False, True), (False, False)]
    assert await limiter.allow("calm") == (True, False)
    (warning,) = link_warnings(caplog)  # one warning, not one per message
    assert "did not answer" in warning and "ConnectionError" in warning
    monotonic.now += 60.0
    await limiter.allow("calm")
    assert len(link_warnings(caplog)) == 2  # a minute on, still down: said again
    await limiter.close()


async def test_without_redis_the_pacer_paces_in_process(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.redis_link")
    clock = FakeClock(start=0.0)
    pacer = RedisPacer(1, 30, clock, RedisLink(dead_url()), "t:")
    for chat in ["lan", "lan", "minh"]:
        await pacer.wait(chat)
    assert clock.now() == pytest.approx(1.0 + 1 / 30)  # lan once a second, minh in the next overall slot
    await pacer.hold(5)
    await pacer.wait(None)
    assert clock.now() == pytest.approx(1.0 + 1 / 30 + 5)  # held from the moment of the 429
    assert len(link_warnings(caplog)) == 1
    await pacer.close()


@pytest.mark.redis
async def test_back_to_shared_limits_once_redis_answers_again(
    redis_ns: RedisNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.redis_link")
    proxy = TcpProxy("127.0.0.1", 6379)
    await proxy.start()
    clock, monotonic = Ticker(), Ticker()
    cut = RedisLink(f"redis://127.0.0.1:{proxy.port}/0", retry_pause=2.0, monotonic=monotonic)
    direct = RedisLink(redis_ns.url)
    a = RedisUserLimiter(rate=0.001, burst=3, link=cut, prefix=redis_ns.prefix, clock=clock)
    b = RedisUserLimiter(rate=0.001, burst=3, link=direct, prefix=redis_ns.prefix, clock=clock)
    try:
        assert await a.allow("lan") == (True, False)  # shared: 2 tokens left
        await proxy.stop()
        assert await a.allow("lan") == (True, False)  # Redis gone: a's own bucket (3 tokens, now 2)
        await proxy.start()
        assert await a.allow("lan") == (True, False)  # within the pause: not tried yet (own bucket: 1)
        monotonic.now += 2.0
        assert await a.allow("lan") == (True, False)  # tried again, answered: the shared bucket, 1 left
        assert await b.allow("lan") == (True, False)  # … which the other process shares: 0 left
        assert await a.allow("lan") == (False, True)
        assert await b.allow("lan") == (False, False)  # told once, across both
        assert [m.split(":")[0] for m in link_warnings(caplog)] == ["Redis at 127.0.0.1", "Redis at 127.0.0.1"]
        assert "did not answer" in link_warnings(caplog)[0] and "answers again" in link_warnings(caplog)[1]
    finally:
        await a.close()
        await b.close()
        await proxy.stop()


def test_a_malformed_redis_url_fails_at_start_up() -> None:
    with pytest.raises(ValueError):
        RedisLink("http://127.0.0.1:6379")


@pytest.mark.redis
async def test_one_client_per_process_opened_on_first_use_and_closed(redis_ns: RedisNamespace) -> None:
    link = RedisLink(redis_ns.url)  # the composition root makes one; the flood limiter and every pacer share it
    assert link._client is None  # nothing opened before the first call
    limiter = RedisUserLimiter(rate=1, burst=1, link=link, prefix=redis_ns.prefix)
    pacer = RedisPacer(1, 30, FakeClock(), link, f"{redis_ns.prefix}telegram:")
    await limiter.allow("lan")
    await pacer.wait("lan")
    client = link._client
    assert client is not None
    connections = list(client.connection_pool._available_connections)
    assert connections and all(c.is_connected for c in connections)
    await pacer.close()
    await limiter.close()
    assert link._client is None
    assert not any(c.is_connected for c in connections)  # closed on shutdown
