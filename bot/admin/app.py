"""The dashboard as an aiohttp sub-application mounted at /admin."""

from __future__ import annotations

from aiohttp import web

from bot.admin.auth import check_csrf, error_pages, no_store, plain_input, require_session
from bot.admin.campaigns import views as campaigns
from bot.admin.config import PREFIX, STATIC_DIR, AdminConfig, load_or_create_secret, template_environment
from bot.admin.context import Handler, board_of
from bot.admin.enterprises import views as enterprises
from bot.admin.grouping import warm_up
from bot.admin.handoffs import views as handoffs
from bot.admin.views import (
    announcements,
    audit,
    inquiries,
    kbcontacts,
    kbnew,
    knowledge,
    overview,
    reports,
    session,
    unanswered,
    users,
)
from bot.appkeys import ADMIN, OPEN_REQUESTS, SIGNED_IN
from bot.settings import Settings

FEATURES = (
    session,
    overview,
    inquiries,
    unanswered,
    kbcontacts,
    kbnew,
    knowledge,
    handoffs,
    campaigns,
    announcements,
    enterprises,
    reports,
    users,
    audit,
)
# Uploads (the enterprise list) may be larger than the web chat's request limit.
MAX_UPLOAD = 10 * 1024 * 1024


def create_admin_app() -> web.Application:
    """The dashboard's routes behind its middlewares (error pages, no caching, session, CSRF)."""
    admin = web.Application(
        middlewares=[
            larger_bodies,
            no_store,
            error_pages,
            plain_input,
            warm_grouping,
            require_session,
            check_csrf,
            count_open_requests,
        ]
    )
    for feature in FEATURES:
        admin.router.add_routes(feature.routes)
    admin.router.add_static("/static", STATIC_DIR)
    return admin


@web.middleware
async def larger_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Let dashboard forms carry an upload (the root app keeps a small limit for the web chat)."""
    if request.method == "POST":
        request = request.clone(client_max_size=MAX_UPLOAD)
    return await handler(request)


@web.middleware
async def count_open_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pages show how many workers wait for an official beside "Gặp cán bộ" (one indexed count)."""
    if request.method == "GET" and SIGNED_IN in request and not request.path.startswith(f"{PREFIX}/static/"):
        request[OPEN_REQUESTS] = await board_of(request).open_handoffs()
    return await handler(request)


@web.middleware
async def warm_grouping(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The first dashboard request loads the unanswered page's libraries in the background."""
    warm_up()
    return await handler(request)


async def to_dashboard(request: web.Request) -> web.StreamResponse:
    """/admin → /admin/."""
    raise web.HTTPMovedPermanently(f"{PREFIX}/")


def setup_admin(app: web.Application, settings: Settings) -> AdminConfig:
    """Mount the dashboard on the web app."""
    config = AdminConfig(
        settings=settings,
        secret=load_or_create_secret(settings),
        templates=template_environment(),
        proxies=settings.proxy_networks,
    )
    app[ADMIN] = config
    app.router.add_get(PREFIX, to_dashboard)  # before the sub-app, which would take "/admin" too
    app.add_subapp(PREFIX, create_admin_app())
    return config
