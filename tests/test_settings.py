"""Settings: environment variables, and what production refuses to run without."""

from __future__ import annotations

import secrets

import pytest

from bot.settings import PublicUrlMissing, Settings
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
    settings = Settings(
        env="production",
        hash_key=secrets.token_urlsafe(32),
        secret_key=secrets.token_hex(32),
        telegram_token="1:a",
        telegram_secret=secrets.token_urlsafe(24),
    )
    assert settings.production_problems() == []


STRONG = {
    "hash_key": "Zx3kP9qL_w7VbN2mT8rY4sD6fG1hJ0aQeRtUiOpAsDf",
    "secret_key": "4f9a1c7e3b2d8f6a0e5c9b7d1f3a8e2c6b4d0f9e7a5c3b1d8f6e4a2c0b9d7f5e",
}


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("hash_key", "k"),  # one character
        ("hash_key", " " * 50),  # whitespace
        ("hash_key", "a" * 64),  # one character repeated
        ("secret_key", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"),  # a run
        ("secret_key", "abc123" * 10),  # a short pattern repeated
        ("secret_key", "thisisalongpassphrasethatapersonmighttypeinhere"),  # words
        ("hash_key", STRONG["hash_key"] + " "),  # a trailing space from a copy and paste
    ],
)
def test_production_refuses_a_weak_key(setting: str, value: str) -> None:
    settings = Settings(env="production", **{**STRONG, setting: value})
    problems = " ".join(settings.production_problems())
    assert f"LAODONG_{setting.upper()}" in problems
    assert "secrets.token_urlsafe(32)" in problems  # how to make a good one
    assert len(value.strip()) < 5 or value.strip() not in problems  # the value itself is not echoed


def test_production_refuses_the_same_key_twice() -> None:
    settings = Settings(env="production", hash_key=STRONG["hash_key"], secret_key=STRONG["hash_key"])
    assert any("must differ" in p for p in settings.production_problems())


@pytest.mark.parametrize("secret", ["t", "short-secret-1", " " * 20, "tø-secret-0123456789", "a" * 20, "x" * 300])
def test_production_refuses_a_weak_webhook_secret(secret: str) -> None:
    for channel in ("telegram", "zalo"):
        settings = Settings(env="production", **STRONG, **{f"{channel}_token": "1:a", f"{channel}_secret": secret})
        assert f"LAODONG_{channel.upper()}_SECRET" in " ".join(settings.production_problems())


def test_a_webhook_secret_may_not_be_a_key() -> None:
    settings = Settings(env="production", **STRONG, telegram_token="1:a", telegram_secret=STRONG["hash_key"][:30])
    assert settings.production_problems() == []
    settings = Settings(env="production", **STRONG, zalo_token="z", zalo_secret=STRONG["hash_key"])
    assert any("differ" in p for p in settings.production_problems())


def test_random_keys_and_secrets_pass() -> None:
    for _ in range(200):
        settings = Settings(
            env="production",
            hash_key=secrets.token_urlsafe(32),
            secret_key=secrets.token_hex(32),
            telegram_token="1:a",
            telegram_secret=secrets.token_urlsafe(16),
            zalo_token="z",
            zalo_secret=secrets.token_hex(12),
        )
        assert settings.production_problems() == []


def test_public_links_come_from_settings_never_from_a_request() -> None:
    assert Settings(env="development", host="0.0.0.0", port=8123).public_root() == "http://127.0.0.1:8123"
    assert Settings(public_url="https://laodong.example.vn/").public_root() == "https://laodong.example.vn"
    with pytest.raises(PublicUrlMissing, match="LAODONG_PUBLIC_URL"):
        Settings(env="production", **STRONG).public_root()
    with pytest.raises(ValueError, match="LAODONG_PUBLIC_URL"):
        Settings(public_url="javascript:alert(1)")
