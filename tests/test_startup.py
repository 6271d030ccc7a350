"""Start-up does only what it must: no Alembic when the schema is at head."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from bot.store import store as store_module
from bot.store.store import MIGRATIONS_DIR, Store, script_heads


def test_the_heads_read_from_the_scripts_are_alembics() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert script_heads() == frozenset(ScriptDirectory.from_config(cfg).get_heads())


def test_a_script_that_is_not_plain_makes_alembic_decide(tmp_path: Path) -> None:
    (tmp_path / "0001_x.py").write_text('revision = "0001"\ndown_revision = None\n')
    (tmp_path / "0002_y.py").write_text('revision: str = "0002"\ndown_revision: str | None = "0001"\n')
    assert script_heads(tmp_path) == {"0002"}
    (tmp_path / "0003_z.py").write_text("revision = make_id()\n")
    assert script_heads(tmp_path) == frozenset()


async def test_a_database_at_head_is_not_migrated_again(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    real = store_module._run_alembic
    monkeypatch.setattr(store_module, "_run_alembic", lambda conn, action, rev: calls.append((action, rev)))
    await store.migrate()
    assert calls == []
    monkeypatch.setattr(store_module, "_run_alembic", real)
    await store.downgrade("0003")
    monkeypatch.setattr(store_module, "_run_alembic", lambda conn, action, rev: calls.append((action, rev)))
    await store.migrate()
    assert calls == [("upgrade", "head")]  # behind: Alembic runs
