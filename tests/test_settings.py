"""Settings: environment variables, and what production refuses to run without."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.web.app import run_server


def test_settings_come_from_laodong_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAODONG_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    monkeypatch.setenv("LAODONG_PORT", "9000")
    settings = Settings()
    assert settings.database_url == "postgresql://postgres@127.0.0.1/test"
    assert settings.port == 9000


def test_development_needs_no_secrets() -> None:
    assert Settings(env="development").production_problems() == []


def test_production_refuses_to_start_without_secrets() -> None:
    settings = Settings(env="production", telegram_token="123:abc", zalo_token="z")
    problems = " ".join(settings.production_problems())
    for name in ("LAODONG_HASH_KEY", "LAODONG_SECRET_KEY", "LAODONG_TELEGRAM_SECRET", "LAODONG_ZALO_SECRET"):
        assert name in problems
    with pytest.raises(SystemExit, match="refusing to start in production"):
        run_server(settings)


def test_production_with_its_secrets_is_fine() -> None:
    settings = Settings(env="production", hash_key="k", secret_key="s", telegram_token="1:a", telegram_secret="t")
    assert settings.production_problems() == []
