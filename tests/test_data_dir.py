"""LAODONG_DATA_DIR moves the SQLite file too (README's settings table), unless a database URL is given."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_the_default_database_lives_in_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LAODONG_DATABASE_URL", raising=False)
    monkeypatch.setenv("LAODONG_DATA_DIR", str(tmp_path / "data"))
    assert Settings(_env_file=None).database_url == f"sqlite:///{tmp_path / 'data' / 'laodong.db'}"  # type: ignore[call-arg]
    monkeypatch.setenv("LAODONG_DATABASE_URL", "postgresql://bot@127.0.0.1/laodong")
    assert Settings(_env_file=None).database_url == "postgresql://bot@127.0.0.1/laodong"  # type: ignore[call-arg]


def test_a_command_writes_its_records_under_the_data_dir(tmp_path: Path) -> None:
    data, elsewhere = tmp_path / "data", tmp_path / "cwd"
    elsewhere.mkdir()
    env = {"PATH": "/usr/bin:/bin", "LAODONG_DATA_DIR": str(data)}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "di xkld nhat can gi"],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=elsewhere,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (data / "laodong.db").stat().st_size > 0
    assert not (elsewhere / "var").exists()
