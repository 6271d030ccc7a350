"""`laodong announce create | status | cancel`, and migration 0010 down and up on both databases."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.announce.models import TABLE_NAMES
from bot.store.models import Base
from bot.store.store import Store
from tests.announce.helpers import add_subscribers
from tests.channels.conftest import laodong
from tests.conftest import TEST_KEY


async def _three_subscribers(db: str) -> None:
    store = Store(db)
    await store.migrate()
    await add_subscribers(store, TEST_KEY, ["1", "2"], province="lao-cai")
    await add_subscribers(store, TEST_KEY, ["3"], province="kien-giang")
    await store.close()


def test_create_prints_the_id_last_and_status_counts_the_targets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    asyncio.run(_three_subscribers(db))
    text = tmp_path / "t.txt"
    text.write_text("Hội chợ việc làm tại Lào Cai ngày 20/12.\n", encoding="utf-8")
    code, out = laodong(
        monkeypatch, tmp_path, "announce", "create", "--text-file", str(text), "--province", "lao-cai", db_url=db
    )
    assert code == 0
    made = out.split()[-1]
    code, out = laodong(monkeypatch, tmp_path, "announce", "status", made, "--json", db_url=db)
    status = json.loads(out)
    assert {k: status[k] for k in ("targets", "sent", "failed", "pending", "unsubscribed")} == {
        "targets": 2, "sent": 0, "failed": 0, "pending": 2, "unsubscribed": 0
    }  # fmt: skip
    code, out = laodong(monkeypatch, tmp_path, "announce", "cancel", made, db_url=db)
    assert code == 0
    code, out = laodong(monkeypatch, tmp_path, "announce", "status", made, "--json", db_url=db)
    assert json.loads(out)["pending"] == 0 and json.loads(out)["cancelled"] == 2


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--province", "ha-noi"], "Không có tỉnh"),
        (["--topic", "sports"], "Không có chủ đề"),
        (["--at", "mai"], "không đúng dạng"),
        (["--at", "2020-01-01T08:00"], "đã qua"),
    ],
)
def test_bad_input_is_refused_in_plain_vietnamese(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    text = tmp_path / "t.txt"
    text.write_text("Thông báo", encoding="utf-8")
    code, _ = laodong(monkeypatch, tmp_path, "announce", "create", "--text-file", str(text), *args)
    assert code == 2 and says in capsys.readouterr().err


def test_an_empty_or_missing_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    assert laodong(monkeypatch, tmp_path, "announce", "create", "--text-file", str(tmp_path / "empty.txt"))[0] == 2
    assert "trống" in capsys.readouterr().err
    assert laodong(monkeypatch, tmp_path, "announce", "create", "--text-file", str(tmp_path / "nope.txt"))[0] == 2
    assert "Không thấy tệp" in capsys.readouterr().err
    assert laodong(monkeypatch, tmp_path, "announce", "status", "999", "--json")[0] == 2


def _tables(connection: Any) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Any) -> list[Any]:
    diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [d for d in diffs if any(name in repr(d) for name in TABLE_NAMES)]


async def test_the_migration_goes_down_and_up(any_store: Store) -> None:
    async with any_store.engine.connect() as conn:
        assert set(TABLE_NAMES) <= await conn.run_sync(_tables)
        assert await conn.run_sync(_differences) == []
    await any_store.downgrade("0008")
    async with any_store.engine.connect() as conn:
        assert not set(TABLE_NAMES) & await conn.run_sync(_tables)
    await any_store.migrate()
    async with any_store.engine.connect() as conn:
        assert set(TABLE_NAMES) <= await conn.run_sync(_tables)


async def test_purge_deletes_cancelled_subscriptions_and_finished_announcements(store: Store) -> None:
    import datetime as dt

    from bot.announce import store as announcements
    from bot.privacy import pseudonym
    from bot.store.models import utcnow

    await add_subscribers(store, TEST_KEY, ["1", "2"])
    await announcements.unsubscribe(store, pseudonym(TEST_KEY, "telegram", "1"))
    made = await announcements.create(store, "Cũ")
    await announcements.cancel(store, made)
    await announcements.purge(store, utcnow() + dt.timedelta(seconds=1))  # everything is "older" than this
    async with store.engine.connect() as conn:
        tables = await conn.run_sync(_tables)
        assert "subscriptions" in tables
    assert await announcements.subscription_of(store, pseudonym(TEST_KEY, "telegram", "1")) is None
    assert await announcements.subscription_of(store, pseudonym(TEST_KEY, "telegram", "2")) is not None  # active
    assert await announcements.status(store, made) is None
