"""Throughput of the Telegram webhook: updates/s, p50/p99 latency, lost records (SQLite and PostgreSQL).

Starts `laodong serve` in its own process, with the Telegram channel pointed at a fake Bot API
in this process (127.0.0.1; nothing reaches the internet), then posts updates to
/telegram/webhook from many concurrent clients: questions from tests/data/questions, button
presses and /start, from many users, with some updates delivered twice. Reports how fast the
webhook took them, then waits for every reply to go out at Telegram's real pace (30 messages
a second, 1 per chat) and counts what reached the database and the fake Bot API.

    .venv/bin/python scripts/bench_webhook.py [--updates 2000] [--concurrency 32] [--db sqlite,postgresql]

Targets (the issue): ≥ 300 updates/s, p99 ≤ 100 ms, zero lost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.evaluate import load_questions, percentile  # noqa: E402
from bot.store.models import Inquiry  # noqa: E402
from bot.store.store import Store  # noqa: E402
from scripts.benchdb import postgres_database  # noqa: E402
from tests.fakes.telegram import TOKEN, FakeTelegram, button_update, text_update  # noqa: E402

SECRET = "bench-secret-0123456789"
BUTTONS = ["t:work_abroad", "t:employment", "t:vocational", "f:1", "f:0", "m"]


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_tree(pid: int) -> list[int]:
    """The process and its children (the workers of `serve --workers N`), Linux /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == pid:
                    children.append(int(entry.name))
            except (OSError, IndexError):
                continue  # gone meanwhile
    return [pid, *children]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process and its children have used so far."""
    total = 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = _stat(p)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def listening_sockets(port: int) -> int:
    """How many sockets listen on this TCP port (one per worker with SO_REUSEPORT), Linux /proc."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def workload(n: int, users: int, duplicates: float, seed: int = 7) -> list[dict[str, Any]]:
    """N distinct updates (70 % questions, 20 % button presses, 10 % /start), some sent twice."""
    rng = random.Random(seed)
    questions = [q.q for q in load_questions()]
    updates = []
    for update_id in range(1, n + 1):
        user = 700_000_000 + rng.randrange(users)
        roll = rng.random()
        if roll < 0.7:
            updates.append(text_update(update_id, user, rng.choice(questions)))
        elif roll < 0.9:
            updates.append(button_update(update_id, user, rng.choice(BUTTONS)))
        else:
            updates.append(text_update(update_id, user, "/start"))
    repeats = [rng.choice(updates) for _ in range(int(n * duplicates))]
    stream = updates + repeats
    rng.shuffle(stream)
    return stream


@asynccontextmanager
async def database(kind: str, tmp: Path) -> AsyncIterator[str]:
    """A fresh database of this kind; its plain SQLAlchemy URL."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    async with postgres_database() as url:
        yield url


@asynccontextmanager
async def server(db_url: str, api_url: str, tmp: Path, port: int, workers: int = 1) -> AsyncIterator[tuple[str, int]]:
    """`laodong serve [--workers N]` in its own process with Telegram on; (base URL, pid) once /healthz answers."""
    env = {
        **os.environ,
        "LAODONG_DATABASE_URL": db_url,
        "LAODONG_DATA_DIR": str(tmp / "var"),
        "LAODONG_HASH_KEY": "bench",
        "LAODONG_TELEGRAM_TOKEN": TOKEN,
        "LAODONG_TELEGRAM_SECRET": SECRET,
        "LAODONG_TELEGRAM_API_URL": api_url,
    }
    cmd = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--workers", str(workers)]
    process = await asyncio.create_subprocess_exec(*cmd, env=env, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(f"{base}/healthz") as res:
                        if res.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if process.returncode is not None:
                    raise SystemExit("laodong serve exited at start-up")
                await asyncio.sleep(0.1)
            while listening_sockets(port) < workers:  # every worker of --workers N is up
                if process.returncode is not None:
                    raise SystemExit("laodong serve exited at start-up")
                await asyncio.sleep(0.1)
        yield base, process.pid
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), 60)


async def post_all(
    base: str, stream: list[dict[str, Any]], concurrency: int, rate: float
) -> tuple[list[float], Counter[str], float]:
    """Post every update, `rate` a second (0: as fast as the server answers), at most `concurrency`
    at once (Telegram's max_connections); a 5xx is retried, as Telegram would.

    Returns each update's latency from its arrival (so waiting for a free connection counts; at
    rate 0, from when it got a connection), the HTTP status counts, and the seconds from the first
    arrival to the last answer.
    """
    latencies: list[float] = []
    counts: Counter[str] = Counter()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    slots = asyncio.Semaphore(concurrency)

    async def deliver(http: aiohttp.ClientSession, update: dict[str, Any], arrival: float) -> None:
        arrived = max(arrival, time.perf_counter())
        body = json.dumps(update).encode()
        async with slots:
            if not rate:  # closed loop: from when a connection is free
                arrived = time.perf_counter()
            for attempt in range(4):
                async with http.post(f"{base}/telegram/webhook", data=body, headers=headers) as res:
                    await res.read()
                counts[f"http_{res.status}"] += 1
                if res.status < 500:
                    break
                counts["retried"] += attempt < 3
        latencies.append(time.perf_counter() - arrived)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        arrivals = [started + i / rate if rate else started for i in range(len(stream))]
        # Each update is handed over at its arrival time (not all tasks made up front: making
        # 30,000 of them took the first half second, and made the first arrivals look late).
        tasks = []
        for update, arrival in zip(stream, arrivals, strict=True):
            if arrival > time.perf_counter():
                await asyncio.sleep(arrival - time.perf_counter())
            tasks.append(asyncio.create_task(deliver(http, update, arrival)))
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - started
    return latencies, counts, seconds


async def channel_counts(base: str) -> dict[str, int]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/healthz/channels") as res:
        return dict((await res.json())["telegram"])


async def records(db_url: str) -> tuple[int, int, Counter[str]]:
    """(inquiries, distinct update ids, delivery statuses) of the Telegram channel."""
    store = Store(db_url)
    telegram = Inquiry.channel == "telegram"
    try:
        async with store.sessions() as session:
            total = await session.scalar(select(func.count()).where(telegram))
            distinct = await session.scalar(select(func.count(Inquiry.external_id.distinct())).where(telegram))
            by_delivery = select(Inquiry.delivery, func.count()).where(telegram).group_by(Inquiry.delivery)
            rows = (await session.execute(by_delivery)).all()
        return int(total or 0), int(distinct or 0), Counter({status or "pending": int(n) for status, n in rows})
    finally:
        await store.close()


async def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    stream = workload(args.updates, args.users, args.duplicates)
    unique = len({u["update_id"] for u in stream})
    fake = FakeTelegram()
    api_url = await fake.start()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        async with (
            database(kind, tmp) as db_url,
            server(db_url, api_url, tmp, free_port(), args.workers) as (base, pid),
        ):
            cpu_before = cpu_seconds(pid)
            latencies, counts, seconds = await post_all(base, stream, args.concurrency, args.rate)
            cpu = cpu_seconds(pid) - cpu_before
            drain_started = time.perf_counter()
            while time.perf_counter() - drain_started < args.drain_timeout:
                _, _, deliveries = await records(db_url)
                if "pending" not in deliveries:  # every reply was sent, failed, or not needed
                    break
                await asyncio.sleep(1.0)
            drain = time.perf_counter() - drain_started
            total, distinct, deliveries = await records(db_url)
            channel = await channel_counts(base)
    await fake.close()
    return {
        "database": kind,
        "workers": args.workers,
        "posted": len(stream),
        "distinct_updates": unique,
        "offered_per_s": args.rate or "max",
        "max_connections": args.concurrency,
        "updates_per_s": round(len(stream) / seconds, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
        # Load-independent: the server's CPU per update, and what one free core could take at that cost.
        "server_cpu_ms_per_update": round(cpu / len(stream) * 1000, 2),
        "one_core_capacity_per_s": round(len(stream) / cpu, 1),
        "http": dict(counts),
        "records": total,
        "lost": unique - distinct,
        "duplicated": total - distinct,
        "replies_sent": len(fake.sent),
        "deliveries": dict(deliveries),
        "drain_s": round(drain, 1),
        "channel": channel,
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=2000, help="distinct updates to post")
    parser.add_argument("--users", type=int, default=400, help="distinct Telegram users")
    parser.add_argument("--duplicates", type=float, default=0.05, help="share of updates delivered twice")
    parser.add_argument("--rate", type=float, default=300.0, help="updates a second to offer (0: as fast as answered)")
    parser.add_argument("--concurrency", type=int, default=40, help="requests in flight at most (Telegram: 40)")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--workers", type=int, default=1, help="laodong serve --workers N")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="seconds to wait for replies to go out")
    args = parser.parse_args()
    for kind in args.db.split(","):
        report = asyncio.run(run(kind.strip(), args))
        print(json.dumps(report, ensure_ascii=False))
        ok = report["updates_per_s"] >= 300 and report["p99_ms"] <= 100 and report["lost"] == 0
        print(f"{kind}: {'meets' if ok else 'MISSES'} the targets (≥ 300 updates/s, p99 ≤ 100 ms, 0 lost)", flush=True)


if __name__ == "__main__":
    main()
