"""Privacy boundary speed (issue 11): redaction, and huge messages end to end.

Not a timed test: run `.venv/bin/python scripts/bench_privacy.py` and read the figures. Targets:
redaction of a 4,000-character message under 1 ms; a 64 KB message answered in under 50 ms
(BotService.handle, and POST /api/chat through the web app) while GET /healthz, polled
meanwhile, stays under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp.test_utils import TestClient, TestServer

from actions.respond import Responder
from actions.types import Policy
from bot.privacy import entering, redact
from bot.service import MAX_STORED_CHARS, BotService, IncomingMessage
from bot.settings import Settings
from bot.store.store import Store
from bot.web.app import CHAT_COOKIE, MAX_BODY, create_app
from knowledge.model import load_knowledge
from nlu.engine import EmbeddedEngine

SIZE = 64 * 1024
# What a worker might write (with their numbers), and what an attacker sends.
TYPICAL = (
    "Chào anh chị, em tên là An, năm nay 27 tuổi, quê ở Lào Cai. Em muốn đi xuất khẩu lao động Hàn Quốc "
    "theo chương trình EPS năm 2025, phí khoảng 50 triệu có đúng không ạ? Số em 0912 345 678, "
    "cccd 079090001234, mail an.nguyen@gmail.com. "
)
UNITS = {
    "digits": "1",
    "letters": "a",
    "dots": "a.",
    "at signs": "a@",
    "digit groups": "1 ",
    "mixed": "0912345678a@b.c ",
}


def filled(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def per_call_ms(fn: Callable[[str], object], arg: str, rounds: int) -> float:
    """Median milliseconds of `fn(arg)` over `rounds` calls."""
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn(arg)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def redaction(rounds: int) -> None:
    message = filled(TYPICAL, 4000)
    print(f"redact, 4,000-character message with numbers: {per_call_ms(redact, message, rounds):.3f} ms (target < 1)")
    boundary = per_call_ms(lambda t: entering(t, 4000), message, rounds)
    print(f"  the whole boundary (cut, clean, redact): {boundary:.3f} ms")
    for name, unit in UNITS.items():
        text = filled(unit, 4000)
        print(f"  4,000 characters of {name}: {per_call_ms(redact, text, rounds):.3f} ms")
    for name, unit in UNITS.items():
        text = filled(unit, SIZE)
        alone = per_call_ms(redact, text, 5)
        print(f"  redact alone, 64 KB of {name} (never done in the bot: it cuts first): {alone:.1f} ms")


async def end_to_end(service: BotService, rounds: int) -> None:
    for name, unit in {"typical": TYPICAL, **UNITS}.items():
        text = filled(unit, SIZE)
        timings, cpu = [], []
        for i in range(rounds):
            started, cpu_started = time.perf_counter(), time.process_time()
            await service.handle(IncomingMessage(channel="web", user_ref=f"bench-{name}-{i}", text=text))
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        median = statistics.median(timings)
        print(
            f"BotService.handle, 64 KB of {name}: median {median:.1f} ms, max {max(timings):.1f} ms"
            f" (CPU median {statistics.median(cpu):.1f} ms; target < 50)"
        )


async def through_the_web_app(service: BotService, settings: Settings, seconds: float, senders: int) -> None:
    """64 KB messages posted by `senders` web chats at once for `seconds`, /healthz polled meanwhile."""
    client = TestClient(TestServer(create_app(settings, service=service)))
    await client.start_server()
    health: list[float] = []
    posts: list[float] = []
    statuses: set[int] = set()
    deadline = time.perf_counter() + seconds
    # The largest body the web app takes (MAX_BODY): the message fills it, less the JSON around it.
    texts = [filled(unit, MAX_BODY - 64) for unit in UNITS.values()]

    async def poll_health() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            res = await client.get("/healthz")
            await res.read()
            health.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.005)

    async def send(sender: int) -> None:
        i = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            text = texts[i % len(texts)]
            res = await client.post("/api/chat", json={"text": text}, cookies={CHAT_COOKIE: f"b{sender}-{i}"})
            await res.read()
            statuses.add(res.status)
            posts.append((time.perf_counter() - started) * 1000)
            i += 1

    try:
        await asyncio.gather(poll_health(), *(send(n) for n in range(senders)))
    finally:
        await client.close()
    posts.sort()
    health.sort()
    print(
        f"POST /api/chat, {len(posts)} messages of {MAX_BODY - 64} characters, {senders} chats at once: "
        f"median {statistics.median(posts):.1f} ms, p99 {posts[int(len(posts) * 0.99) - 1]:.1f} ms, "
        f"max {posts[-1]:.1f} ms (statuses {sorted(statuses)}; target < 50)"
    )
    print(
        f"GET /healthz meanwhile ({len(health)}): median {statistics.median(health):.1f} ms, "
        f"p99 {health[int(len(health) * 0.99) - 1]:.1f} ms, max {health[-1]:.1f} ms (target < 50)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="64 KB messages of each kind through handle()")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long the web app is posted to")
    parser.add_argument("--senders", type=int, nargs="+", default=[1, 4], help="web chats posting at once")
    args = parser.parse_args()
    redaction(200)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        store = Store(url)
        await store.migrate()
        kb = load_knowledge()
        service = BotService(kb, EmbeddedEngine.train(kb), Responder(kb, Policy.load()), store, b"bench-key")
        print(f"(messages are cut to {MAX_STORED_CHARS} characters before anything else)")
        await end_to_end(service, args.rounds)
        settings = Settings(database_url=url, data_dir=Path(tmp), hash_key="bench-key")
        for senders in args.senders:
            await through_the_web_app(service, settings, args.seconds, senders)
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
