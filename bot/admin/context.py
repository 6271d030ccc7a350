"""What every dashboard view needs from the request: services, the signed-in official, rendering."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlencode

import jinja2
from aiohttp import web

from bot.admin.accounts import Accounts, Clock, SignedIn
from bot.admin.charts import number
from bot.admin.daycache import DayCache
from bot.admin.filters import FILTER_FIELDS
from bot.admin.queries import Dashboard
from bot.admin.rollup import LIVE_SECONDS, DaySummaries
from bot.admin.texts import Labels, to_local
from bot.service import BotService
from bot.settings import Settings
from bot.store.models import utcnow
from bot.web.app import SERVICE
from bot.web.proxy import Network, client_address

PREFIX = "/admin"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
SECRET_FILE = "secret.key"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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


ADMIN = web.AppKey("admin", AdminConfig)
SIGNED_IN = web.RequestKey("admin_signed_in", SignedIn)
OPEN_REQUESTS = web.RequestKey("admin_open_requests", int)  # handoffs waiting, for the navigation


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


def admin_of(request: web.Request) -> AdminConfig:
    return request.config_dict[ADMIN]


def service_of(request: web.Request) -> BotService:
    return request.config_dict[SERVICE]


def accounts_of(request: web.Request) -> Accounts:
    return Accounts(service_of(request).store, admin_of(request).clock)


def board_of(request: web.Request) -> Dashboard:
    store = service_of(request).store
    admin = admin_of(request)
    return Dashboard(store, days=admin.days, summaries=DaySummaries(store, live=admin.today))


def labels_of(request: web.Request) -> Labels:
    return Labels.for_kb(service_of(request).kb)


def signed_in(request: web.Request) -> SignedIn:
    return request[SIGNED_IN]


def client_ip(request: web.Request) -> str:
    """The official's address (through the trusted reverse proxies), for throttling and the audit log."""
    return client_address(request, admin_of(request).proxies)[:64]


async def audit(request: web.Request, action: str, target: str | None = None, **detail: Any) -> None:
    """Write what the signed-in official did to the audit log."""
    await accounts_of(request).audit(signed_in(request).username, action, target, detail, client_ip(request))


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """Render a page with what every page shows: the official, the CSRF token, labels, a message."""
    from bot.admin.auth import csrf_token  # the middleware module imports this one

    labels = labels_of(request)
    html = (
        admin_of(request)
        .templates.get_template(template)
        .render(
            me=request.get(SIGNED_IN),
            csrf=csrf_token(request),
            labels=labels,
            message=labels.message(request.query.get("msg")),
            path=request.path,
            open_requests=request.get(OPEN_REQUESTS),
            active_filters=sum(1 for k, v in request.query.items() if k in FILTER_FIELDS and v.strip()),
            **context,
        )
    )
    return web.Response(text=html, content_type="text/html", status=status)


def see_other(location: str, msg: str | None = None, **query: Any) -> NoReturn:
    """Redirect after a POST (with an optional ?msg= key of labels.yaml)."""
    params = {k: v for k, v in query.items() if v is not None}
    if msg:
        params["msg"] = msg
    raise web.HTTPSeeOther(location + ("?" + urlencode(params) if params else ""))


MAX_ID = 2**63 - 1  # the largest id a database column holds (BIGINT)


def int_param(value: str | None) -> int | None:
    """A whole number from a query parameter; None if it is missing, not one, or beyond any id."""
    try:
        number = int(value) if value is not None and value.strip() else None
    except ValueError:
        return None
    return number if number is None or abs(number) <= MAX_ID else None
