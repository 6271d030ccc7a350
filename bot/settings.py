"""Settings, read from LAODONG_* environment variables (and an optional .env file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting the bot reads; defaults give a working local bot with no set-up."""

    model_config = SettingsConfigDict(env_prefix="LAODONG_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///var/laodong.db"
    data_dir: Path = Path("var")
    # Key for the keyed hash that turns platform ids into pseudonymous user ids.
    # In development a random key is created under data_dir on first use.
    hash_key: str | None = None
    nlu: Literal["embedded", "rasa"] = "embedded"
    rasa_url: str | None = None
    rasa_token: str | None = None
    rasa_timeout: float = 2.0
    host: str = "127.0.0.1"
    port: int = 8080
    retention_days: int = Field(default=365, ge=1)
    telegram_token: str | None = None
    telegram_secret: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    zalo_token: str | None = None
    zalo_secret: str | None = None
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    secret_key: str | None = None
