"""Dashboard benchmark: a million inquiries and 2,000 open handoffs (of ~22,000), the log's
first/middle/last page under filters (query time), then whole pages through the real app
(server time per page: from the request entering the app to the response, rendering included).

    .venv/bin/python scripts/bench_admin.py [--rows 1000000] [--open 2000] [--backend sqlite|postgresql|both]
        [--pages-only] [--keep DB]   (--keep: fill PostgreSQL database DB once, keep and reuse it)

SQLite goes to a temporary file; PostgreSQL to a temporary database on LAODONG_TEST_PG
(default postgresql://postgres@127.0.0.1:5432/postgres), dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot.admin.accounts import AccountError, Accounts
from bot.admin.filters import LogFilter
from bot.admin.grouping import group_questions
from bot.admin.overview_data import read_overview
from bot.admin.queries import Dashboard
from bot.admin.texts import local_today
from bot.settings import Settings
from bot.store.store import Store
from bot.web.app import create_app

PG_ADMIN_URL = os.environ.get("LAODONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TOPICS = ["work_abroad"] * 30 + ["employment"] * 20 + ["vocational"] * 15 + ["social_assistance"] * 10
TOPICS += ["pre_departure"] * 8 + ["chitchat"] * 10 + ["out_of_scope"] * 5 + ["human"] * 2
CHANNELS = ["telegram"] * 5 + ["zalo"] * 4 + ["web"] * 1
PROVINCES = ["lao-cai"] * 5 + ["kien-giang"] * 4 + ["other"] + [None] * 2
CAMPAIGNS = [None] * 20 + ["hoi-cho-2026", "poster-bat-xat", "radio-kg"]
RARE = "zyxwvut hiem gap"
WORDING = yaml.safe_load(Path(__file__).with_name("bench_admin.yaml").read_text(encoding="utf-8"))
QUESTIONS: list[str] = WORDING["questions"]
UNANSWERED_POOL = [
    " ".join(p for p in (f, s, t) if p)
    for s in WORDING["subjects"]
    for t in WORDING["tails"]
    for f in WORDING["fillers"]
]
HANDOFF_EVERY = 45  # one inquiry in 45 asked for an official (≈ 22,000 of a million)
OFFICIAL, PASSWORD = "bench.admin", "mat-khau-bench-du-dai-123"
TARGET_MS = 300


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
        text = RARE if i == n // 3 else rnd.choice(UNANSWERED_POOL if fallback else QUESTIONS)
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


async def add_handoffs(store: Store, open_count: int) -> int:
    """Handoffs for one inquiry in HANDOFF_EVERY; the newest `open_count` open, the rest answered or closed."""
    async with store.engine.begin() as conn:
        top = int((await conn.execute(text("SELECT max(id) FROM inquiries"))).scalar_one())
        first_open = top - open_count * HANDOFF_EVERY
        await conn.execute(
            text(
                "INSERT INTO handoffs (inquiry_id, user_id, channel, question, status, created_at) "
                "SELECT id, user_id, channel, text, "
                "CASE WHEN id > :first_open THEN 'open' WHEN id % 2 = 0 THEN 'answered' ELSE 'closed' END, created_at "
                "FROM inquiries WHERE id % :every = 0"
            ),
            {"first_open": first_open, "every": HANDOFF_EVERY},
        )
        return int((await conn.execute(text("SELECT count(*) FROM handoffs WHERE status = 'open'"))).scalar_one())


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
        out.append((f"overview, {days} days", await timed(partial(read_overview, board, f, span), repeat=1)))

    async def unanswered() -> None:
        group_questions(await board.unanswered(limit=5000))

    out.append(("unanswered: 5000 newest, grouped", await timed(unanswered, repeat=1)))
    return out


def page_paths(n: int, open_ids: list[int]) -> dict[str, str]:
    """The pages measured, by name."""
    today = local_today(dt.datetime.now(dt.UTC))
    year_ago = (today - dt.timedelta(days=364)).isoformat()
    inbox_pages = -(-len(open_ids) // 50)
    return {
        "overview, 30 days": "/admin/",
        "overview, 365 days": f"/admin/?start={year_ago}&end={today.isoformat()}",
        "log, first page": "/admin/inquiries",
        "log, middle page": f"/admin/inquiries?before={n // 2}",
        "log, oldest page": "/admin/inquiries?page=oldest",
        "log, topic + province": "/admin/inquiries?topic=employment&province=kien-giang",
        "log, search (2 words)": "/admin/inquiries?q=luong+nhat",
        "log, one conversation": f"/admin/inquiries/{n // 2}",
        f"inbox, {len(open_ids)} open: first page": "/admin/handoffs",
        "inbox, middle page": f"/admin/handoffs?page={inbox_pages // 2 or 1}",
        "inbox, last page": f"/admin/handoffs?page={inbox_pages}",
        "inbox, province + waiting > 1 day": "/admin/handoffs?province=lao-cai&waiting=1d",
        "inbox, answered tab (≈10,000)": "/admin/handoffs?status=answered",
        "one request (handoff page)": f"/admin/handoffs/{open_ids[len(open_ids) // 2]}",
        "unanswered, 90 days (grouped)": "/admin/unanswered",
        "unanswered, 365 days, noise hidden": "/admin/unanswered?days=365&noise=hide",
        "campaigns": "/admin/campaigns",
        "enterprises": "/admin/enterprises",
        "reports": "/admin/reports",
        "audit log": "/admin/audit",
    }


async def signed_in(client: TestClient[Any, Any], url: str) -> list[int]:
    """Sign the client in as an admin (created the first time); the open handoffs' ids."""
    store = Store(url)
    with contextlib.suppress(AccountError):  # a kept database (--keep) has it from the last run
        await Accounts(store).create_user(OFFICIAL, PASSWORD, "admin")
    async with store.engine.connect() as conn:
        found = await conn.execute(text("SELECT id FROM handoffs WHERE status = 'open' ORDER BY id"))
        open_ids = [int(i) for (i,) in found]
    await store.close()
    login = await (await client.get("/admin/login")).text()
    csrf = login.split('name="_csrf" value="', 1)[1].split('"', 1)[0]
    form = {"_csrf": csrf, "username": OFFICIAL, "password": PASSWORD, "next": "/admin/"}
    assert (await client.post("/admin/login", data=form, allow_redirects=False)).status == 303
    return open_ids


async def measure_pages(url: str, data_dir: str, n: int) -> list[tuple[str, float, float, float]]:
    """(page, first, median, worst) server milliseconds of whole dashboard pages, signed in as an
    admin: the first load (cold: the overview's day cache empty), then five more."""
    spent: list[float] = []

    @web.middleware
    async def server_time(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        t = time.perf_counter()
        try:
            return await handler(request)
        finally:
            spent.append((time.perf_counter() - t) * 1000)

    app = create_app(Settings(database_url=url, data_dir=Path(data_dir), secret_key="bench-secret-key"))
    app.middlewares.insert(0, server_time)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        out = []
        for name, path in page_paths(n, await signed_in(client, url)).items():
            times = []
            for _ in range(6):  # one warm-up, five measured
                spent.clear()
                res = await client.get(path)
                assert res.status == 200, (path, res.status, (await res.text())[:300])
                await res.read()
                times.append(spent[0])
            out.append((name, times[0], statistics.median(times[1:]), max(times[1:])))
        return out
    finally:
        await client.close()


def report_pages(backend: str, n: int, pages: list[tuple[str, float, float, float]]) -> None:
    print(f"\n## {backend}: whole pages, server time (target < {TARGET_MS} ms)\n")
    print("| page | first load ms | then: median ms | worst of 5 ms |")
    print("| --- | ---: | ---: | ---: |")
    for name, first, median, worst in pages:
        flag = "" if worst < TARGET_MS else " ⚠"
        print(f"| {name} | {first:.0f} | {median:.0f} | {worst:.0f}{flag} |")
    sys.stdout.flush()


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


async def bench_sqlite(n: int, users: int, open_count: int, queries: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/bench.db"
        store = Store(f"sqlite:///{path}")
        await store.migrate()
        t = time.perf_counter()
        fill_sqlite(path, n, users)
        await add_handoffs(store, open_count)
        fill_s = time.perf_counter() - t
        try:
            if queries:
                report("SQLite", n, fill_s, await measure(store, n), await measure_other(store))
        finally:
            await store.close()
        report_pages("SQLite", n, await measure_pages(f"sqlite:///{path}", tmp, n))


async def bench_postgres(n: int, users: int, open_count: int, queries: bool, keep: str | None = None) -> None:
    """On a temporary database (dropped after), or on `keep`: filled the first time, kept, reused."""
    import asyncpg

    name = keep or f"laodong_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql://", "postgres://", 1))
    exists = keep is not None and bool(await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    if not exists:
        await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        store = Store(url)
        await store.migrate()
        t = time.perf_counter()
        if not exists:
            await fill_postgres(url, n, users)
            await add_handoffs(store, open_count)
        fill_s = time.perf_counter() - t
        try:
            if queries:
                report("PostgreSQL", n, fill_s, await measure(store, n), await measure_other(store))
        finally:
            await store.close()
        with tempfile.TemporaryDirectory() as tmp:
            report_pages("PostgreSQL", n, await measure_pages(url, tmp, n))
    finally:
        if keep is None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--open", type=int, default=2000, help="open handoffs (the newest)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pages-only", action="store_true", help="skip the query-level log paging table")
    parser.add_argument("--keep", metavar="DB", help="PostgreSQL: fill database DB once, keep it, reuse it")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        asyncio.run(bench_sqlite(args.rows, args.users, args.open, not args.pages_only))
    if args.backend in ("postgresql", "both"):
        asyncio.run(bench_postgres(args.rows, args.users, args.open, not args.pages_only, args.keep))


if __name__ == "__main__":
    main()
