"""The overview from the database's stored days (bot/admin/rollup.py) says what the log says:
the same numbers, charts and people as counting every inquiry, on SQLite and PostgreSQL; stored
once, then read back by another process; today always live."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, insert, select, update

from bot.admin.daycache import DayCache
from bot.admin.filters import LogFilter
from bot.admin.models import OverviewCount, OverviewDay
from bot.admin.overview_data import read_overview
from bot.admin.queries import Dashboard
from bot.admin.rollup import DaySummaries, estimate, sketch, union
from bot.admin.texts import LOCAL_TZ
from bot.store.models import Inquiry, User, utcnow
from bot.store.store import Store
from tests.admin.conftest import set_created_at, turn

TODAY = dt.datetime.now(LOCAL_TZ).date()  # "recent" days are recent by the real clock
BULK = {
    "channel": "telegram",
    "message_kind": "text",
    "text": "hoc nghe o dau",
    "normalized": "hoc nghe o dau",
    "outcome": "answer",
    "topic": "vocational",
    "intent": "faq/x",
    "answered": True,
    "handoff": False,
    "engine": "embedded",
}


async def seed(store: Store) -> None:
    """Forty inquiries over ten days (today too): topics, channels, places, campaigns, entries,
    feedback and warnings all mixed."""
    rnd = random.Random(3)
    for i in range(40):
        answered = rnd.random() < 0.7
        record = turn(
            user=f"w{rnd.randrange(9)}",
            channel=rnd.choice(("telegram", "zalo", "web")),
            province=rnd.choice(("lao-cai", "kien-giang", None)),
            campaign=rnd.choice((None, "hoi-cho")),
            topic=rnd.choice(("work_abroad", "employment", "chitchat")),
            outcome="answer" if answered else "fallback",
            answered=answered,
            entry_id=rnd.choice(("vn_di_lam_viec_nuoc_ngoai_hop_phap", "kg_muc_tieu")) if answered else None,
            feedback=rnd.choice((None, 1, -1)),
            warning=rnd.random() < 0.2,
        )
        day = TODAY - dt.timedelta(days=i % 10)
        at = dt.datetime.combine(day, dt.time(8 + i % 12), LOCAL_TZ)
        await set_created_at(store, await store.record(record), at)


async def test_stored_days_give_the_same_overview_as_the_log(any_store: Store) -> None:
    await seed(any_store)
    days = [TODAY - dt.timedelta(days=i) for i in range(9, -1, -1)]
    for f in (LogFilter(start=days[0], end=TODAY), LogFilter(start=days[0], end=TODAY, channel="zalo")):
        counted = await read_overview(Dashboard(any_store), f, days, today=TODAY)
        first = await read_overview(Dashboard(any_store, summaries=DaySummaries(any_store)), f, days, today=TODAY)
        again = await read_overview(Dashboard(any_store, summaries=DaySummaries(any_store)), f, days, today=TODAY)
        for summarised in (first, again):
            assert summarised.total == counted.total and summarised.total.users == counted.total.users > 0
            assert summarised.by_day == counted.by_day and summarised.topic_by_day == counted.topic_by_day
            assert summarised.by_topic == counted.by_topic and summarised.by_channel == counted.by_channel
            assert summarised.by_province == counted.by_province and summarised.by_campaign == counted.by_campaign
            assert summarised.top_entries == counted.top_entries
            assert summarised.warnings_by_day == counted.warnings_by_day
    async with any_store.sessions() as session:
        stored = (await session.execute(select(func.count()).select_from(OverviewDay))).scalar_one()
    assert stored == 2 * 9  # the nine finished days, once per filter; today is never stored


async def test_today_stays_live_and_recent_days_are_recomputed(store: Store) -> None:
    await seed(store)
    days = [TODAY - dt.timedelta(days=i) for i in range(9, -1, -1)]
    f = LogFilter(start=days[0], end=TODAY)
    board = Dashboard(store, summaries=DaySummaries(store, ttl_seconds=0))
    before = await read_overview(board, f, days, today=TODAY)
    for day in (TODAY, TODAY - dt.timedelta(days=1)):
        at = dt.datetime.combine(day, dt.time(20), LOCAL_TZ)
        await set_created_at(store, await store.record(turn(user="new")), at)
    after = await read_overview(board, f, days, today=TODAY)
    counted = await read_overview(Dashboard(store), f, days, today=TODAY)
    assert after.total == counted.total and after.by_day == counted.by_day
    assert after.total.inquiries > before.total.inquiries and after.total.users == before.total.users + 1


def test_sketches_count_people_closely() -> None:
    assert estimate(sketch(f"u{i}" for i in range(7))) == 7
    big = [sketch(f"u{i}" for i in range(k * 10_000, (k + 2) * 10_000)) for k in range(5)]
    assert abs(estimate(union(big)) - 60_000) < 0.05 * 60_000  # overlapping days, each person once


async def test_the_database_sketches_a_crowd_closely(any_store: Store) -> None:
    # 2,000 people over three finished days (PostgreSQL sketches them itself, SQLite here).
    start = dt.datetime.combine(TODAY - dt.timedelta(days=3), dt.time(9), LOCAL_TZ)
    rows = [
        {**BULK, "user_id": f"p{i}", "created_at": start + dt.timedelta(days=i % 3, seconds=i)} for i in range(2000)
    ]
    people = [{"id": f"p{i}", "channel": "telegram", "created_at": start, "last_seen_at": start} for i in range(2000)]
    async with any_store.sessions.begin() as session:
        await session.execute(insert(User), people)
        await session.execute(insert(Inquiry), rows)
    days = [TODAY - dt.timedelta(days=i) for i in range(3, 0, -1)]
    f = LogFilter(start=days[0], end=days[-1])
    counted = await read_overview(Dashboard(any_store), f, days, today=TODAY)
    summarised = await read_overview(Dashboard(any_store, summaries=DaySummaries(any_store)), f, days, today=TODAY)
    assert counted.total.users == 2000 and counted.total.inquiries == summarised.total.inquiries == 2000
    assert abs(summarised.total.users - 2000) < 0.05 * 2000


async def test_the_dashboard_keeps_a_period_until_its_stored_days_change(store: Store) -> None:
    await seed(store)
    days = [TODAY - dt.timedelta(days=i) for i in range(9, 0, -1)]
    f = LogFilter(start=days[0], end=days[-1])
    board = Dashboard(store, summaries=DaySummaries(store, live=DayCache()))
    first = await read_overview(board, f, days, today=TODAY)
    assert (await read_overview(board, f, days, today=TODAY)).total == first.total
    # Another process recomputes a day (a late 👍 came in): this one sees it at once.
    async with store.sessions.begin() as session:
        day = days[3]
        changed = await session.execute(
            update(OverviewCount)
            .where(OverviewCount.day == day, OverviewCount.dim == "channel")
            .values(n=OverviewCount.n + 5)
        )
        await session.execute(update(OverviewDay).where(OverviewDay.day == day).values(computed_at=utcnow()))
    after = await read_overview(board, f, days, today=TODAY)
    assert after.total.inquiries == first.total.inquiries  # totals are per day and topic …
    assert (
        sum(b.inquiries for b in after.by_channel) == sum(b.inquiries for b in first.by_channel) + 5 * changed.rowcount  # type: ignore[attr-defined]
    )
