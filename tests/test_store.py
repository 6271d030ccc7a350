"""The inquiry log on both databases: SQLite (default) and the real PostgreSQL server."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.journal import database_down
from bot.store.models import Inquiry
from bot.store.store import Store, TurnRecord, async_url


def record(user: str = "u", **kw: object) -> TurnRecord:
    fields: dict[str, object] = {
        "user_id": user,
        "channel": "telegram",
        "state": {"province": "lao-cai"},
        "province": "lao-cai",
        "message_kind": "text",
        "text": "di xkld",
        "normalized": "di xuat khau lao dong",
        "outcome": "answer",
        "topic": "work_abroad",
        "intent": "faq/lc_muc_tieu_xkld",
        "entry_id": "lc_muc_tieu_xkld",
        "confidence": 0.9,
        "answered": True,
        "engine": "embedded",
        "reply_text": "…",
    }
    fields.update(kw)
    return TurnRecord(**fields)  # type: ignore[arg-type]


def test_plain_urls_get_async_drivers() -> None:
    assert async_url("sqlite:///var/x.db") == "sqlite+aiosqlite:///var/x.db"
    assert async_url("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    with pytest.raises(ValueError, match="unsupported"):
        async_url("mysql://h/db")


async def test_one_record_per_message_with_state_and_campaign(any_store: Store) -> None:
    first = await any_store.record(record(campaign="poster-bat-xat"))
    second = await any_store.record(record(campaign="other", remember_inquiry=True))
    state = await any_store.load_state("u")
    assert await any_store.first_campaign("u") == "poster-bat-xat"  # first touch kept
    assert state == {"province": "lao-cai", "last_inquiry": second}
    rows = await any_store.inquiries()
    assert [r.id for r in rows] == [first, second]
    assert [r.campaign for r in rows] == ["poster-bat-xat", "poster-bat-xat"]


async def test_feedback_lands_on_the_users_own_inquiry(any_store: Store) -> None:
    answered = await any_store.record(record())
    await any_store.record(record(user="v", feedback_for=answered, feedback=1))
    await any_store.record(record(feedback_for=answered, feedback=-1))
    await any_store.record(record(feedback_for=answered, feedback=None))  # no rating given: the one given stays
    assert (await any_store.inquiries())[0].feedback == -1


async def test_handoffs_are_opened_with_their_question(any_store: Store) -> None:
    await any_store.record(record(handoff_question="luong o nhat bao nhieu"))
    [handoff] = await any_store.handoffs()
    assert (handoff.question, handoff.status, handoff.channel) == ("luong o nhat bao nhieu", "open", "telegram")


async def test_a_platform_update_is_recorded_once(any_store: Store) -> None:
    await any_store.record(record(external_id="update-1"))
    with pytest.raises(IntegrityError):
        await any_store.record(record(external_id="update-1"))
    assert await any_store.count_inquiries() == 1


async def test_a_refused_retry_changes_nothing_else(any_store: Store) -> None:
    await any_store.record(record(external_id="update-1"))
    with pytest.raises(IntegrityError):  # the whole message's write is one unit: nothing of it stays
        await any_store.record(record(external_id="update-1", state={"province": "kien-giang"}, province="kien-giang"))
    assert await any_store.load_state("u") == {"province": "lao-cai"}
    async with any_store.engine.connect() as conn:
        province = (await conn.execute(text("SELECT province FROM users WHERE id = 'u'"))).scalar_one()
        version = (await conn.execute(text("SELECT version FROM conversations WHERE user_id = 'u'"))).scalar_one()
    assert (province, version) == ("lao-cai", 1)


async def test_usual_and_unusual_messages_write_the_same_way(any_store: Store) -> None:
    """A plain message (PostgreSQL: one statement) and a handoff (a transaction) keep one history."""
    first = await any_store.record(record(campaign="hoi-cho", remember_inquiry=True))
    handoff = await any_store.record(record(handoff_question="gap can bo", state={"step": "x"}, province=None))
    third = await any_store.record(record(campaign="khac", state={"province": "kien-giang"}, province="kien-giang"))
    assert await any_store.load_state("u") == {"province": "kien-giang"}  # remember_inquiry only when asked
    async with any_store.engine.connect() as conn:
        user = (await conn.execute(text("SELECT province, campaign FROM users WHERE id = 'u'"))).one()
        version = (await conn.execute(text("SELECT version FROM conversations WHERE user_id = 'u'"))).scalar_one()
    assert tuple(user) == ("kien-giang", "hoi-cho") and version == 3
    rows = await any_store.inquiries("u")
    assert [r.id for r in rows] == [first, handoff, third]
    assert [r.handoff for r in rows] == [False, True, False]
    assert [r.campaign for r in rows] == ["hoi-cho"] * 3
    assert rows[0].created_at <= rows[1].created_at <= rows[2].created_at


async def test_usual_and_unusual_messages_store_values_alike(any_store: Store) -> None:
    """A usual message (written on the driver itself) and a handoff (through SQLAlchemy) store
    times, flags, JSON and the outbox row in the same form."""
    sent = {
        "received_at": "2026-01-02T03:04:05.123456+00:00",
        "warning": True,
        "delivery": "pending",
        "outbox_address": "enc",
        "outbox_messages": [{"text": "Chào bạn", "keyboard": [["Có", "f:1"]]}],
        "outbox_lease": 60.0,
    }
    await any_store.record(record(**sent))  # type: ignore[arg-type]
    await any_store.record(record(user="v", handoff_question="gap can bo", **sent))  # type: ignore[arg-type]
    queries = [
        "SELECT CAST(created_at AS TEXT), CAST(warning AS TEXT), CAST(confidence AS TEXT), delivery"
        " FROM inquiries ORDER BY id",
        "SELECT CAST(messages AS TEXT), CAST(claimed_until AS TEXT), attempts FROM outbox ORDER BY id",
        "SELECT CAST(state AS TEXT), CAST(updated_at AS TEXT) FROM conversations ORDER BY user_id",
        "SELECT CAST(created_at AS TEXT), CAST(last_seen_at AS TEXT) FROM users ORDER BY id",
    ]
    async with any_store.engine.connect() as conn:
        for query in queries:
            usual, handoff = (await conn.execute(text(query))).all()
            assert usual == handoff, query
    [inquiry, _] = await any_store.inquiries()
    assert inquiry.created_at.replace(tzinfo=None) == dt.datetime(2026, 1, 2, 3, 4, 5, 123456)  # SQLite: naive UTC


async def test_deleting_a_user_removes_their_records(any_store: Store) -> None:
    await any_store.record(record(handoff_question="giup toi"))
    await any_store.record(record(user="other"))
    await any_store.record(record(delete_user=True, intent="delete", text="/xoa", province=None, state={}))
    rows = await any_store.inquiries()
    assert [(r.user_id, r.intent) for r in rows] == [("other", "faq/lc_muc_tieu_xkld"), ("u", "delete")]
    assert await any_store.handoffs() == []


async def test_purge_keeps_only_the_retention_period(any_store: Store) -> None:
    old = await any_store.record(record())
    await any_store.record(record())
    async with any_store.sessions.begin() as session:
        inquiry = await session.get(Inquiry, old)
        assert inquiry is not None
        inquiry.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    assert await any_store.purge(dt.timedelta(days=365)) == 1
    assert await any_store.count_inquiries() == 1


async def test_migrations_go_down_and_up_cleanly(any_store: Store) -> None:
    await any_store.record(record())
    await any_store.downgrade("base")
    async with any_store.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert not tables & {"inquiries", "users", "conversations", "handoffs", "campaigns"}
    await any_store.migrate()
    async with any_store.engine.connect() as conn:
        version = (await conn.execute(text("select version_num from alembic_version"))).scalar_one()
    assert version
    assert await any_store.count_inquiries() == 0


async def test_a_write_left_unfinished_on_sqlite_never_lands(store: Store) -> None:
    """A connection given back to the pool holding a transaction is rolled back (SQLite keeps one
    connection: the next message's write must not commit what another left half done)."""
    async with store.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.execute("INSERT INTO users (id, channel, created_at, last_seen_at) VALUES ('x', 'web', '', '')")
    await store.record(record())
    async with store.engine.connect() as conn:
        users = (await conn.execute(text("SELECT id FROM users ORDER BY id"))).scalars().all()
    assert users == ["u"]


async def test_a_postgresql_connection_lost_alone_counts_as_the_database_away(any_store: Store) -> None:
    """One pooled connection killed while the server runs: that message's store call fails as the
    database being away (its record is journaled), the next one works on a new connection."""
    if any_store.backend != "postgresql":
        pytest.skip("PostgreSQL's server-side connections")
    kill = "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"  # waits until it is gone
    kill += " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    async with any_store.engine.connect() as killer:  # held, so the record takes a second connection
        await killer.execute(text("SELECT 1"))
        await any_store.record(record())
        await killer.execute(text(kill))  # the record's connection, back in the pool first, is gone
    with pytest.raises(DBAPIError) as lost:
        await any_store.load_state("u")
    assert database_down(lost.value)
    assert await any_store.load_state("u") == {"province": "lao-cai"}
