"""What every dashboard view needs from the request: services, the signed-in official, rendering."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NoReturn
from urllib.parse import urlencode

from aiohttp import web

from bot.admin.accounts import Accounts, SignedIn
from bot.admin.config import AdminConfig
from bot.admin.csrf import csrf_token
from bot.admin.filters import FILTER_FIELDS
from bot.admin.queries import Dashboard
from bot.admin.rollup import DaySummaries
from bot.admin.texts import Labels
from bot.appkeys import ADMIN, OPEN_REQUESTS, SERVICE, SIGNED_IN
from bot.service import BotService
from bot.web.proxy import client_address

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
