"""Settings, read from LAODONG_* environment variables (and an optional .env file)."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.web.proxy import Network, parse_networks

MAKE_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
MAKE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(24))'"
KEY_MIN_CHARS = 43  # 32 random bytes as url-safe base64 (64 as hex)
KEY_MIN_BITS = 175.0  # Shannon entropy of the characters, summed: 43 random base64 ≥ 180 (≈ 215), 64 hex ≈ 237
WEBHOOK_SECRET_MIN_CHARS = 16
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as secret_token


def _entropy_bits(value: str) -> float:
    """The characters' empirical Shannon entropy times the length (a random string's is high)."""
    counts = Counter(value)
    return -sum(n * math.log2(n / len(value)) for n in counts.values())


def _looks_made_up(value: str) -> bool:
    """Repeats, runs (abcd…, 1234…) or a short pattern over and over: typed by a person, not drawn."""
    if len(value) < 3:
        return True
    steps = sum(abs(ord(a) - ord(b)) <= 1 for a, b in itertools.pairwise(value))
    trigrams = {value[i : i + 3] for i in range(len(value) - 2)}
    return steps > (len(value) - 1) / 2 or len(trigrams) < 0.9 * (len(value) - 2)


def key_problem(name: str, value: str | None, purpose: str) -> str | None:
    """Why a key is not good enough for production (None: it is): 32 random bytes' worth at least."""
    make = f"make one with {MAKE_KEY}"
    if not value:
        return f"{name} ({purpose}) is not set: {make}"
    if value != value.strip() or any(c.isspace() for c in value):
        return f"{name} contains whitespace: {make}"
    if len(value) < KEY_MIN_CHARS:
        return f"{name} is {len(value)} characters; a key needs at least {KEY_MIN_CHARS} random ones: {make}"
    if _looks_made_up(value) or _entropy_bits(value) < KEY_MIN_BITS:
        return f"{name} does not look random (repeated characters, runs or words): {make}"
    return None


def webhook_secret_problem(name: str, value: str | None, purpose: str) -> str | None:
    """Why a webhook secret is not good enough for production (None: it is)."""
    make = f"make one with {MAKE_SECRET}"
    if not value:
        return f"{name} ({purpose}) is not set: {make}"
    if not WEBHOOK_SECRET.fullmatch(value):
        return f"{name} may hold only A-Z a-z 0-9 _ - (1 to 256 characters, Telegram's rule): {make}"
    if len(value) < WEBHOOK_SECRET_MIN_CHARS:
        return f"{name} is {len(value)} characters; a webhook secret needs at least {WEBHOOK_SECRET_MIN_CHARS}: {make}"
    if len(set(value)) < 8 or _looks_made_up(value):
        return f"{name} does not look random (repeated characters or runs): {make}"
    return None


class PublicUrlMissing(RuntimeError):
    """A link for the public (campaign page, QR code) was asked for in production without LAODONG_PUBLIC_URL."""


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
    # The durable outbox (replies survive a crash): a process holds the replies it writes this long
    # before any process may send them again, and looks for such replies this often (seconds).
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_poll_seconds: float = Field(default=5.0, gt=0)
    # Announcements (bot/announce/sender.py): a process holds the deliveries it claims this long
    # (a killed process's are taken over after it), looks for work this often, claims this many at once.
    announce_lease_seconds: float = Field(default=30.0, gt=0)
    announce_poll_seconds: float = Field(default=2.0, gt=0)
    announce_batch: int = Field(default=20, ge=1, le=500)
    secret_key: str | None = None
    # Flood control per user: a burst of messages, then this many a second (bot/flood.py).
    user_burst: int = Field(default=10, ge=1)
    user_rate: float = Field(default=1.0, gt=0)
    # … and per client address (many workers may share one address behind a carrier's NAT): web
    # chat messages, and campaign landing-page clicks counted (beyond: the page shows, uncounted).
    address_burst: int = Field(default=60, ge=1)
    address_rate: float = Field(default=5.0, gt=0)
    landing_burst: int = Field(default=10, ge=1)
    landing_rate: float = Field(default=0.2, gt=0)
    # Redis, to share flood control and send pacing between several `laodong serve` processes
    # (redis://host:6379/0); unset, each process keeps its own. Keys start with the prefix.
    redis_url: str | None = None
    redis_prefix: str = "laodong:"
    # How often a bot process checks whether officials imported a newer enterprise list (seconds).
    enterprise_refresh_seconds: float = Field(default=10.0, ge=0)
    kb_poll_seconds: float = Field(default=2.0, gt=0)  # how often a process looks for a newer published knowledge

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

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"LAODONG_PUBLIC_URL must be the site's root (https://laodong.example.vn), not {value!r}")
        return value.rstrip("/")

    def public_root(self) -> str:
        """Where the public reaches this app, for campaign links and QR codes (never a request's Host).

        Production needs LAODONG_PUBLIC_URL; development falls back to the configured host and port.
        """
        if self.public_url:
            return self.public_url
        if self.env == "production":
            raise PublicUrlMissing(
                "set LAODONG_PUBLIC_URL to the public root of this site (e.g. https://laodong.example.vn):"
                " campaign links and QR codes are built from it"
            )
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    def refuse_unsafe_start(self) -> None:
        """Stop, in plain words, a production server about to start without its secrets."""
        problems = self.production_problems()
        if problems:
            raise SystemExit("laodong: refusing to start in production: " + "; ".join(problems))

    def production_problems(self) -> list[str]:
        """What a production server must not start without (LAODONG_ENV=production): strong, distinct
        keys, strong webhook secrets, and the Rasa server's address and token when Rasa is used."""
        if self.env != "production":
            return []
        found = [
            key_problem("LAODONG_HASH_KEY", self.hash_key, "key of the keyed hash for user ids"),
            key_problem("LAODONG_SECRET_KEY", self.secret_key, "signs admin sessions and forms"),
        ]
        if self.hash_key and self.hash_key == self.secret_key:
            found.append(f"LAODONG_HASH_KEY and LAODONG_SECRET_KEY must differ: make each with {MAKE_KEY}")
        if self.telegram_token or self.telegram_secret:
            found.append(
                webhook_secret_problem("LAODONG_TELEGRAM_SECRET", self.telegram_secret, "Telegram webhook secret")
            )
        if self.zalo_token or self.zalo_secret:
            found.append(webhook_secret_problem("LAODONG_ZALO_SECRET", self.zalo_secret, "Zalo webhook secret"))
        secrets_given = [v for v in (self.hash_key, self.secret_key, self.telegram_secret, self.zalo_secret) if v]
        if len(set(secrets_given)) < len(secrets_given) and self.hash_key != self.secret_key:
            found.append("the keys and webhook secrets must all differ from each other")
        if self.nlu == "rasa" and not self.rasa_url:
            found.append("LAODONG_RASA_URL (the Rasa server, for LAODONG_NLU=rasa)")
        if self.nlu == "rasa" and not self.rasa_token:
            found.append("LAODONG_RASA_TOKEN (the Rasa server's --auth-token)")
        return [problem for problem in found if problem]
