"""The dashboard's shared pieces, built once when it is mounted: secret, templates, clock, caches."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import jinja2

from bot.admin.accounts import Clock
from bot.admin.charts import number
from bot.admin.daycache import DayCache
from bot.admin.rollup import LIVE_SECONDS
from bot.admin.texts import to_local
from bot.settings import Settings
from bot.store.models import utcnow
from bot.web.proxy import Network

PREFIX = "/admin"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
SECRET_FILE = "secret.key"


@dataclass
class AdminConfig:
    """The dashboard's shared pieces; tests may swap the clock before the app starts."""

    settings: Settings
    secret: bytes
    templates: jinja2.Environment
    proxies: tuple[Network, ...] = ()  # LAODONG_TRUSTED_PROXIES, parsed once
    clock: Clock = utcnow
    kb_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one knowledge edit at a time
    days: DayCache = field(default_factory=DayCache)  # finished days' overview numbers
    # Today's overview numbers, reused for half a minute (bot/admin/rollup.py LIVE_SECONDS).
    today: DayCache = field(default_factory=lambda: DayCache(ttl_seconds=LIVE_SECONDS))


def load_or_create_secret(settings: Settings) -> bytes:
    """LAODONG_SECRET_KEY, or (development) a random key kept under the data dir."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / SECRET_FILE
    if path.exists():
        return path.read_bytes().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    path.write_bytes(key)
    path.chmod(0o600)
    return key


def _localtime(value: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return to_local(value).strftime(fmt) if value is not None else ""


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def _hours(delta: dt.timedelta | None) -> str:
    if delta is None:
        return ""
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} giờ" if hours < 48 else f"{hours / 24:.1f} ngày"


def template_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # everything a worker typed is escaped, everywhere
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(localtime=_localtime, num=number, pct=_percent, hours=_hours, short=lambda s: (s or "")[:8])
    env.globals.update(root=PREFIX, urlencode=urlencode)
    return env
