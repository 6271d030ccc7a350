"""Dashboard paging benchmark: a million inquiries, the log's first/middle/last page under filters.

    .venv/bin/python scripts/bench_admin.py [--rows 1000000] [--backend sqlite|postgresql|both]

SQLite goes to a temporary file; PostgreSQL to a temporary database on LAODONG_TEST_PG
(default postgresql://postgres@127.0.0.1:5432/postgres), dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from typing import Any

from bot.admin.filters import LogFilter
from bot.admin.grouping import group_questions
from bot.admin.queries import Dashboard
from bot.admin.texts import local_today
from bot.store.store import Store

PG_ADMIN_URL = os.environ.get("LAODONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TOPICS = ["work_abroad"] * 30 + ["employment"] * 20 + ["vocational"] * 15 + ["social_assistance"] * 10
TOPICS += ["pre_departure"] * 8 + ["chitchat"] * 10 + ["out_of_scope"] * 5 + ["human"] * 2
CHANNELS = ["telegram"] * 5 + ["zalo"] * 4 + ["web"] * 1
PROVINCES = ["lao-cai"] * 5 + ["kien-giang"] * 4 + ["other"] + [None] * 2
CAMPAIGNS = [None] * 20 + ["hoi-cho-2026", "poster-bat-xat", "radio-kg"]
QUESTIONS = [
    "di xuat khau lao dong nhat can gi",
    "hoc nghe o dau",
    "bao hiem that nghiep lam sao",
    "luong o nhat bao nhieu",
    "gia vang hom nay",
    "ho ngheo duoc ho tro gi",
    "moi gioi doi tien coc co tin duoc khong",
    "lao dong tro ve tim viec",
]
RARE = "zyxwvut hiem gap"


def rows(n: int, users: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    """Inquiries over the last 365 days, oldest first (ids follow time, as in a live log)."""
    rnd = random.Random(seed)
    end = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = end - dt.timedelta(days=365)
    step = (end - start) / n
    for i in range(n):
        topic = rnd.choice(TOPICS)
        fallback = topic == "out_of_scope" or rnd.random() < 0.08
        answered = not fallback
        text = RARE if i == n // 3 else rnd.choice(QUESTIONS)
        feedback = rnd.choice((1, 1, 1, -1)) if answered and rnd.random() < 0.05 else None
        yield (
            f"u{rnd.randrange(users):07d}",
            rnd.choice(CHANNELS),
            "text",
            text,
            text,
            "fallback" if fallback else "answer",
            topic,
            "faq/x" if answered else "out_of_scope",
            "vn_di_lam_viec_nuoc_ngoai_hop_phap" if answered and topic != "chitchat" else None,
            0.8,
            answered,
            False,
            "embedded",
            rnd.choice(CAMPAIGNS),
            rnd.choice(PROVINCES),
            "…",
            feedback,
            start + step * i,
        )


COLUMNS = (
    "user_id, channel, message_kind, text, normalized, outcome, topic, intent, entry_id, confidence, answered, "
    "handoff, engine, campaign, province, reply_text, feedback, created_at"
)


def fill_sqlite(path: str, n: int, users: int) -> None:
    db = sqlite3.connect(path)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    db.executemany(
        "INSERT INTO users (id, channel, created_at, last_seen_at) VALUES (?, 'telegram', ?, ?)",
        ((f"u{i:07d}", now, now) for i in range(users)),
    )
    marks = ", ".join("?" * 18)
    batch: list[tuple[Any, ...]] = []
    for row in rows(n, users):
        batch.append((*row[:-1], row[-1].strftime("%Y-%m-%d %H:%M:%S.%f")))
        if len(batch) == 50_000:
            db.executemany(f"INSERT INTO inquiries ({COLUMNS}) VALUES ({marks})", batch)
            batch = []
    db.executemany(f"INSERT INTO inquiries ({COLUMNS}) VALUES ({marks})", batch)
    db.commit()
    db.execute("ANALYZE")
    db.close()


async def fill_postgres(url: str, n: int, users: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql://", "postgres://", 1))
    now = dt.datetime.now(dt.UTC)
    await conn.copy_records_to_table(
        "users",
        records=[(f"u{i:07d}", "telegram", now, now) for i in range(users)],
        columns=["id", "channel", "created_at", "last_seen_at"],
    )
    await conn.copy_records_to_table(
        "inquiries", records=list(rows(n, users)), columns=[c.strip() for c in COLUMNS.split(",")]
    )
    await conn.execute("ANALYZE")
    await conn.close()


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int = 5) -> float:
    """Median milliseconds of `repeat` runs (after one warm-up)."""
    await fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


async def measure(store: Store, n: int) -> list[tuple[str, float, float, float]]:
    board = Dashboard(store)
    today = local_today(dt.datetime.now(dt.UTC))
    month_ago = today - dt.timedelta(days=200)
    cases = {
        "no filter": LogFilter(),
        "topic": LogFilter(topic="vocational"),
        "channel + province": LogFilter(channel="zalo", province="lao-cai"),
        "unanswered": LogFilter(answered=False),
        "feedback 👎": LogFilter(feedback="down"),
        "campaign": LogFilter(campaign="radio-kg"),
        "one month (dates)": LogFilter(start=month_ago, end=month_ago + dt.timedelta(days=30)),
        "month + topic + province": LogFilter(
            start=month_ago, end=month_ago + dt.timedelta(days=30), topic="employment", province="kien-giang"
        ),
        "search (common)": LogFilter(q="luong o nhat"),
        "search (one match)": LogFilter(q=RARE),
    }
    results = []
    for name, f in cases.items():
        first = await board.log_page(f)
        middle_cursor = n // 2
        first_ms = await timed(partial(board.log_page, f))
        middle_ms = await timed(partial(board.log_page, f, before=middle_cursor))
        last_ms = await timed(partial(board.log_page, f, oldest=True))
        results.append((name, first_ms, middle_ms, last_ms))
        assert first.rows or name.startswith("search (one")
    return results


async def measure_other(store: Store) -> list[tuple[str, float]]:
    board = Dashboard(store)
    today = local_today(dt.datetime.now(dt.UTC))
    out = []
    for days in (30, 365):
        start = today - dt.timedelta(days=days - 1)
        f = LogFilter(start=start, end=today)
        span = [start + dt.timedelta(days=i) for i in range(days)]
        out.append((f"overview, {days} days", await timed(partial(board.overview, f, span), repeat=1)))

    async def unanswered() -> None:
        group_questions(await board.unanswered(limit=5000))

    out.append(("unanswered: 5000 newest, grouped", await timed(unanswered, repeat=1)))
    return out


def report(
    backend: str, n: int, fill_s: float, paging: list[tuple[str, float, float, float]], other: list[tuple[str, float]]
) -> None:
    print(f"\n## {backend}: {n:,} inquiries (filled in {fill_s:.0f} s)\n")
    print("| filter | first page ms | middle page ms | last page ms |")
    print("| --- | ---: | ---: | ---: |")
    for name, a, b, c in paging:
        print(f"| {name} | {a:.1f} | {b:.1f} | {c:.1f} |")
    for name, ms in other:
        print(f"| {name} | {ms:.0f} | | |")
    sys.stdout.flush()


async def bench_sqlite(n: int, users: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/bench.db"
        store = Store(f"sqlite:///{path}")
        await store.migrate()
        t = time.perf_counter()
        fill_sqlite(path, n, users)
        fill_s = time.perf_counter() - t
        try:
            report("SQLite", n, fill_s, await measure(store, n), await measure_other(store))
        finally:
            await store.close()


async def bench_postgres(n: int, users: int) -> None:
    import asyncpg

    name = f"laodong_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql://", "postgres://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        store = Store(url)
        await store.migrate()
        t = time.perf_counter()
        await fill_postgres(url, n, users)
        fill_s = time.perf_counter() - t
        try:
            report("PostgreSQL", n, fill_s, await measure(store, n), await measure_other(store))
        finally:
            await store.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        asyncio.run(bench_sqlite(args.rows, args.users))
    if args.backend in ("postgresql", "both"):
        asyncio.run(bench_postgres(args.rows, args.users))


if __name__ == "__main__":
    main()
