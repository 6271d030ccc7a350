"""LAODONG_DATA_DIR moves the SQLite file too (README's settings table), unless a database URL is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from tests.cli import link_models, run


def test_the_default_database_lives_in_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LAODONG_DATABASE_URL", raising=False)
    monkeypatch.setenv("LAODONG_DATA_DIR", str(tmp_path / "data"))
    assert Settings(_env_file=None).database_url == f"sqlite:///{tmp_path / 'data' / 'laodong.db'}"  # type: ignore[call-arg]
    monkeypatch.setenv("LAODONG_DATABASE_URL", "postgresql://bot@127.0.0.1/laodong")
    assert Settings(_env_file=None).database_url == "postgresql://bot@127.0.0.1/laodong"  # type: ignore[call-arg]


def test_a_command_writes_its_records_under_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, trained_models: Path
) -> None:
    data, elsewhere = tmp_path / "data", tmp_path / "cwd"
    elsewhere.mkdir()
    link_models(trained_models, data)
    monkeypatch.chdir(elsewhere)
    done = run({"LAODONG_DATA_DIR": str(data)}, "ask", "di xkld nhat can gi")
    assert done.returncode == 0, done.stderr
    assert (data / "laodong.db").stat().st_size > 0
    assert not (elsewhere / "var").exists()
