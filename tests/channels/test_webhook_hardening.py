"""Webhooks under attack: wrong secrets throttled per source address (X-Forwarded-For believed
only from trusted proxies), a non-ASCII secret is a 403, a 30k-deep JSON body a 400."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.channels.common import SecretGuard
from tests.channels.conftest import TELEGRAM_SECRET, ZALO_SECRET, Bot, StartBot
from tests.fakes.telegram import text_update
from tests.fakes.zalo import text_event

HOOKS = {
    "telegram": ("/telegram/webhook", "X-Telegram-Bot-Api-Secret-Token", TELEGRAM_SECRET),
    "zalo": ("/zalo/webhook", "X-Bot-Api-Secret-Token", ZALO_SECRET),
}


def body_for(channel: str, n: int = 1) -> dict[str, object]:
    return text_update(n, 4242, "xin chào") if channel == "telegram" else text_event(f"m{n}", "z1", "xin chào")


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_wrong_secrets_from_one_address_are_throttled(start_bot: StartBot, channel: str) -> None:
    bot = await start_bot()
    path, header, secret = HOOKS[channel]
    statuses = [
        (await bot.client.post(path, json=body_for(channel, i), headers={header: f"guess-{i:04d}"})).status
        for i in range(8)
    ]
    assert statuses == [403] * 5 + [429] * 3  # after five wrong guesses, not even checked
    refused = await bot.client.post(path, json=body_for(channel, 99), headers={header: secret})
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0  # the right one too, for a while
    assert bot.service.store is not None and await bot.service.store.count_inquiries() == 0
    bot.clock.time += 301  # the window passes
    assert (await bot.client.post(path, json=body_for(channel, 100), headers={header: secret})).status == 200


async def test_forwarded_for_counts_only_from_trusted_proxies(start_bot: StartBot) -> None:
    path, header, secret = HOOKS["telegram"]
    bot = await start_bot(trusted_proxies="127.0.0.1")  # behind our reverse proxy
    for i in range(5):  # an attacker behind the proxy
        forwarded = {header: "wrong-wrong-wrong", "X-Forwarded-For": "203.0.113.9"}
        assert (await bot.client.post(path, json=body_for("telegram", i), headers=forwarded)).status == 403
    attacker = {header: secret, "X-Forwarded-For": "203.0.113.9"}
    assert (await bot.client.post(path, json=body_for("telegram", 50), headers=attacker)).status == 429
    telegram = {header: secret, "X-Forwarded-For": "149.154.167.220"}  # Telegram, through the same proxy
    assert (await bot.client.post(path, json=body_for("telegram", 51), headers=telegram)).status == 200


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(start_bot: StartBot) -> None:
    path, header, _secret = HOOKS["telegram"]
    bot = await start_bot()  # no trusted proxies: the header proves nothing
    for i in range(5):
        spoofed = {header: "wrong-wrong-wrong", "X-Forwarded-For": f"198.51.100.{i}"}
        assert (await bot.client.post(path, json=body_for("telegram", i), headers=spoofed)).status == 403
    again = {header: "wrong-wrong-wrong", "X-Forwarded-For": "198.51.100.77"}
    assert (await bot.client.post(path, json=body_for("telegram", 9), headers=again)).status == 429


async def raw_post(bot: Bot, path: str, header: str, value: bytes, body: bytes) -> int:
    """POST with a header value sent as raw bytes (an HTTP client library would encode it); the status."""
    reader, writer = await asyncio.open_connection(bot.client.server.host, bot.client.server.port)
    head = f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    writer.write(head.encode() + header.encode() + b": " + value + b"\r\n\r\n" + body)
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return int(status_line.split()[1])


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_a_non_ascii_secret_is_refused_not_a_server_error(start_bot: StartBot, channel: str) -> None:
    bot = await start_bot()
    path, header, _secret = HOOKS[channel]
    body = json.dumps(body_for(channel)).encode()
    for value in ("tg-sécret-0123456789".encode(), "секрет".encode(), b"\xff\xfe-not-utf-8", b"tg-secret-\x80"):
        assert await raw_post(bot, path, header, value, body) == 403


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_a_deeply_nested_body_is_a_400(start_bot: StartBot, channel: str) -> None:
    bot = await start_bot()
    path, header, secret = HOOKS[channel]
    deep = "[" * 30_000 + "]" * 30_000
    res = await bot.client.post(path, data=deep, headers={header: secret, "Content-Type": "application/json"})
    assert res.status == 400


def test_the_guard_forgets_addresses_beyond_its_bound() -> None:
    class Still:
        def now(self) -> float:
            return 0.0

        async def sleep(self, seconds: float) -> None:
            return None

    guard = SecretGuard(Still(), failures=1, max_addresses=3)
    for n in range(10):
        guard.failed(f"10.0.0.{n}")
    assert guard.blocked("10.0.0.9") is not None and guard.blocked("10.0.0.0") is None
    assert len(guard._seen) == 3
