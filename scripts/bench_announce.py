"""Announcements at the platform's pace: time to deliver N, and workers' reply latency meanwhile.

Starts `laodong serve` processes (PostgreSQL, Redis shared pacing) against a fake Telegram in this
process that enforces 30 sends a second and 1 a second per chat with 429s, writes N subscribers,
then:
  1. workers ask questions for --probe seconds with no broadcast: reply latency (the webhook POST
     to the reply reaching the fake), p50/p99;
  2. an announcement to all N: the same workers meanwhile; the time until every delivery ended,
     the send rate, the most sends in any second, 429s, and the workers' latency during it.

    .venv/bin/python scripts/bench_announce.py [--count 10000] [--processes 2] [--probe 30]

The issue's figures: 10,000 in ~334 s at 30/s (the limit is the floor), p99 reply latency during a
broadcast within 20 % of without. A smaller --count extrapolates (the rate is what is measured).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.announce import store as announcements  # noqa: E402
from bot.evaluate import percentile  # noqa: E402
from bot.store.store import Store  # noqa: E402
from scripts.benchdb import postgres_database  # noqa: E402
from tests.announce.helpers import add_subscribers  # noqa: E402
from tests.fakes.server import Limits  # noqa: E402
from tests.fakes.telegram import TOKEN, FakeTelegram, text_update  # noqa: E402
from tests.serving import free_port  # noqa: E402

SECRET = "bench-secret-0123456789"
KEY = "bench-announce-key"
REDIS = os.environ.get("LAODONG_TEST_REDIS", "redis://127.0.0.1:6379/0")
QUESTIONS = ["đi xklđ nhật cần gì", "học nghề ở đâu", "bảo hiểm thất nghiệp", "mỗi năm tỉnh đưa bao nhiêu người đi"]


@asynccontextmanager
async def servers(db_url: str, api: str, tmp: Path, count: int, rate: float) -> AsyncIterator[list[str]]:
    procs, urls = [], []
    prefix = f"laodong-bench-{uuid.uuid4().hex[:8]}:"
    for i in range(count):
        port, data = free_port(), tmp / f"var{i}"
        if (ROOT / "var" / "models").is_dir():
            shutil.copytree(ROOT / "var" / "models", data / "models", dirs_exist_ok=True)
        env = {
            **os.environ,
            "LAODONG_DATABASE_URL": db_url,
            "LAODONG_DATA_DIR": str(data),
            "LAODONG_HASH_KEY": KEY,
            "LAODONG_TELEGRAM_TOKEN": TOKEN,
            "LAODONG_TELEGRAM_SECRET": SECRET,
            "LAODONG_TELEGRAM_API_URL": api,
            "LAODONG_TELEGRAM_RATE_OVERALL": str(rate),
            "LAODONG_REDIS_URL": REDIS,
            "LAODONG_REDIS_PREFIX": prefix,
            "LAODONG_ANNOUNCE_POLL_SECONDS": "0.5",
        }
        cmd = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)]
        procs.append(await asyncio.create_subprocess_exec(*cmd, env=env, cwd=ROOT, stderr=asyncio.subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        async with aiohttp.ClientSession() as http:
            for url in urls:
                for _ in range(900):
                    try:
                        async with http.get(f"{url}/healthz") as res:
                            if res.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
        yield urls
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)
        for proc in procs:
            await asyncio.wait_for(proc.wait(), 60)


class TimedTelegram(FakeTelegram):
    """The fake Telegram, noting when each chat's messages arrive (the workers wait on it)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, asyncio.Event] = {}
        self.arrival: dict[str, float] = {}

    async def answer(self, method: str, params: dict[str, Any]) -> Any:
        chat = str(params.get("chat_id"))
        if method == "sendMessage" and chat in self.arrived and chat not in self.arrival:
            self.arrival[chat] = time.time()
            self.arrived[chat].set()
        return await super().answer(method, params)


async def workers_ask(urls: list[str], fake: TimedTelegram, seconds: float, workers: int, base: int) -> list[float]:
    """Each worker asks a question every ~2 s for `seconds`; reply latencies (s), POST to first message."""
    latencies: list[float] = []
    update_ids = iter(range(base * 100_000, base * 100_000 + 90_000))

    async def one(http: aiohttp.ClientSession, chat: int) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            fake.arrival.pop(str(chat), None)
            event = fake.arrived[str(chat)] = asyncio.Event()
            start = time.time()
            update = text_update(next(update_ids), chat, random.choice(QUESTIONS))
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(random.choice(urls) + "/telegram/webhook", json=update, headers=headers):
                pass
            try:
                await asyncio.wait_for(event.wait(), 30)
                latencies.append(fake.arrival[str(chat)] - start)
            except TimeoutError:
                latencies.append(30.0)
            await asyncio.sleep(1.5)  # the rest of the reply (its later messages) goes out meanwhile
            await asyncio.sleep(max(0.0, 2.0 - (time.time() - start)) + random.random() * 0.2)

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(one(http, 5_000_000 + base * 1000 + i) for i in range(workers)))
    return latencies


def most_in_a_second(times: list[float]) -> int:
    times, most, first = sorted(times), 0, 0
    for last, t in enumerate(times):
        while times[first] <= t - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def summary(name: str, latencies: list[float]) -> str:
    if not latencies:
        return f"{name}: no replies"
    ms = sorted(x * 1000 for x in latencies)
    return f"{name}: {len(ms)} replies, p50 {percentile(ms, 50):.0f} ms, p99 {percentile(ms, 99):.0f} ms"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    fake = TimedTelegram()
    fake.limits = Limits(now=time.time)
    await fake.start()
    try:
        async with postgres_database() as db_url:
            store = Store(db_url)
            await store.migrate()
            await add_subscribers(store, KEY.encode(), [str(1_000_000 + i) for i in range(args.count)])
            with tempfile.TemporaryDirectory() as tmp:
                async with servers(db_url, fake.url, Path(tmp), args.processes, args.rate) as urls:
                    calm = await workers_ask(urls, fake, args.probe, args.workers, 1)
                    before = len(fake.limits.accepted)
                    started = time.time()
                    made = await announcements.create(store, "Hội chợ việc làm: 8 giờ ngày 20/12, Nhà văn hóa tỉnh.")
                    during = await workers_ask(urls, fake, min(args.probe, args.count / args.rate), args.workers, 2)
                    while ((await announcements.status(store, made)) or {}).get("pending"):
                        await asyncio.sleep(0.5)
                    took = time.time() - started
                    status = await announcements.status(store, made)
            await store.close()
    finally:
        await fake.close()
    sends = [t for t, _ in fake.limits.accepted[before:]]
    return {
        "count": args.count,
        "processes": args.processes,
        "seconds": took,
        "rate": args.count / took,
        "floor": args.count / args.rate,
        "most_in_a_second": most_in_a_second(sends),
        "refused_429": len(fake.limits.refused),
        "status": status,
        "calm": calm,
        "during": during,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rate", type=float, default=30.0, help="LAODONG_TELEGRAM_RATE_OVERALL")
    parser.add_argument("--workers", type=int, default=10, help="workers asking meanwhile (one question every ~2 s)")
    parser.add_argument("--probe", type=float, default=30.0, help="seconds of asking, with and without a broadcast")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(f"{result['count']} announcements, {result['processes']} serve processes (PostgreSQL, Redis)")
    floor = f"floor at {args.rate:g}/s: {result['floor']:.1f} s"
    print(f"  delivered in {result['seconds']:.1f} s: {result['rate']:.1f}/s ({floor})")
    print(f"  10,000 at this rate: {10_000 / result['rate']:.0f} s")
    print(f"  most sends in any second: {result['most_in_a_second']}; 429s from the fake: {result['refused_429']}")
    print(f"  status: {result['status']}")
    print("  " + summary("workers without a broadcast", result["calm"]))
    print("  " + summary("workers during the broadcast", result["during"]))


if __name__ == "__main__":
    main()
