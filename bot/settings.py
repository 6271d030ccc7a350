"""Settings, read from LAODONG_* environment variables (and an optional .env file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.web.proxy import Network, parse_networks


class Settings(BaseSettings):
    """Every setting the bot reads; defaults give a working local bot with no set-up."""

    model_config = SettingsConfigDict(env_prefix="LAODONG_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///var/laodong.db"  # unset: laodong.db under data_dir (_database_in_data_dir)
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
    # Reverse proxies whose X-Forwarded-For is believed (bot/web/proxy.py): "127.0.0.1, 10.0.0.0/8".
    trusted_proxies: str = ""
    # `laodong serve` processes on the port (SO_REUSEPORT; bot/web/workers.py): one per core.
    workers: int = Field(default=1, ge=1, le=64)
    # A worker that dies sooner than this after it started stops them all; later, it is replaced.
    worker_startup_grace: float = Field(default=15.0, ge=0)
    # PostgreSQL connections each process keeps open (workers × replicas × this ≤ the server's max_connections).
    db_pool_size: int = Field(default=20, ge=1)
    retention_days: int = Field(default=365, ge=1)
    telegram_token: str | None = None
    telegram_secret: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    zalo_token: str | None = None
    zalo_secret: str | None = None
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    # Channels (bot/channels): polling instead of webhooks, links for campaigns, send rates.
    telegram_polling: bool = False
    zalo_polling: bool = False
    telegram_bot_username: str | None = None  # for deep links: https://t.me/<username>?start=CODE
    zalo_bot_url: str | None = None  # where the landing page sends Zalo users (the bot's Zalo link)
    public_url: str | None = None  # the web app's public root, for campaign links and QR codes
    telegram_rate_per_chat: float = Field(default=1.0, gt=0)  # messages a second to one chat
    telegram_rate_overall: float = Field(default=30.0, gt=0)  # messages a second in all
    zalo_rate_per_chat: float = Field(default=1.0, gt=0)
    zalo_rate_overall: float = Field(default=30.0, gt=0)
    send_retries: int = Field(default=3, ge=0)  # retries after a 429 before a reply counts as failed
    secret_key: str | None = None
    # Flood control per user: a burst of messages, then this many a second (bot/flood.py).
    user_burst: int = Field(default=10, ge=1)
    user_rate: float = Field(default=1.0, gt=0)
    # Redis, to share flood control and send pacing between several `laodong serve` processes
    # (redis://host:6379/0); unset, each process keeps its own. Keys start with the prefix.
    redis_url: str | None = None
    redis_prefix: str = "laodong:"
    # How often a bot process checks whether officials imported a newer enterprise list (seconds).
    enterprise_refresh_seconds: float = Field(default=10.0, ge=0)

    @model_validator(mode="after")
    def _database_in_data_dir(self) -> Settings:
        """Without LAODONG_DATABASE_URL, the SQLite file lives in LAODONG_DATA_DIR."""
        if "database_url" not in self.model_fields_set:
            self.database_url = f"sqlite:///{self.data_dir / 'laodong.db'}"
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)  # a wrong entry stops the start-up, naming it
        return value

    @property
    def proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    def refuse_unsafe_start(self) -> None:
        """Stop, in plain words, a production server about to start without its secrets."""
        problems = self.production_problems()
        if problems:
            raise SystemExit("laodong: refusing to start in production without: " + "; ".join(problems))

    def production_problems(self) -> list[str]:
        """What a production server must not start without (LAODONG_ENV=production)."""
        if self.env != "production":
            return []
        missing = []
        if not self.hash_key:
            missing.append("LAODONG_HASH_KEY (key of the keyed hash for user ids)")
        if not self.secret_key:
            missing.append("LAODONG_SECRET_KEY (signs admin sessions and forms)")
        if self.telegram_token and not self.telegram_secret:
            missing.append("LAODONG_TELEGRAM_SECRET (Telegram webhook secret)")
        if self.zalo_token and not self.zalo_secret:
            missing.append("LAODONG_ZALO_SECRET (Zalo webhook secret)")
        if self.nlu == "rasa" and not self.rasa_url:
            missing.append("LAODONG_RASA_URL (the Rasa server, for LAODONG_NLU=rasa)")
        if self.nlu == "rasa" and not self.rasa_token:
            missing.append("LAODONG_RASA_TOKEN (the Rasa server's --auth-token)")
        return missing
