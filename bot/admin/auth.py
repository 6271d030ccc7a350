"""Sign-in for the dashboard: session cookies, CSRF tokens on every form, roles per view."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from aiohttp import web

from bot.admin.accounts import role_allows
from bot.admin.config import PREFIX
from bot.admin.context import MAX_ID, Handler, accounts_of, admin_of, render
from bot.admin.csrf import LOGIN_COOKIE, csrf_token
from bot.appkeys import NEW_LOGIN_COOKIE, SIGNED_IN

SESSION_COOKIE = "ld_admin"
CSRF_FIELD = "_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def public(handler: Handler) -> Handler:
    """Mark a view that needs no session (the sign-in page)."""
    handler.__admin_public__ = True  # type: ignore[attr-defined]
    return handler


def requires(role: str) -> Callable[[Handler], Handler]:
    """Let only officials with at least `role` (viewer < editor < admin) through."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            if not role_allows(request[SIGNED_IN].role, role):
                return render(request, "error.html", status=403, error="forbidden")
            return await handler(request)

        return checked

    return wrap


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    secure = admin_of(request).settings.env == "production" or request.secure
    response.set_cookie(name, value, path=PREFIX, httponly=True, samesite="Strict", secure=secure)


def ensure_login_cookie(request: web.Request) -> str | None:
    """The login cookie's value, making one (returned, to be set) if the browser has none."""
    if request.cookies.get(LOGIN_COOKIE):
        return None
    value = secrets.token_urlsafe(24)
    request[NEW_LOGIN_COOKIE] = value
    return value


def _is_public(request: web.Request) -> bool:
    if request.path.startswith(f"{PREFIX}/static/"):
        return True
    return bool(getattr(request.match_info.handler, "__admin_public__", False))


@web.middleware
async def require_session(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page but sign-in needs a live session."""
    if _is_public(request):
        return await handler(request)
    token = request.cookies.get(SESSION_COOKIE)
    signed = await accounts_of(request).signed_in(token) if token else None
    if signed is None:
        if request.method in SAFE_METHODS:
            raise web.HTTPSeeOther(f"{PREFIX}/login?next={quote(request.path_qs, safe='')}")
        raise web.HTTPForbidden()
    request[SIGNED_IN] = signed
    return await handler(request)


@web.middleware
async def check_csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a form that does not carry this session's token, or comes from another origin."""
    if request.method in SAFE_METHODS:
        return await handler(request)
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        return render(request, "error.html", status=403, error="csrf")
    form = await request.post()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token(request)):
        return render(request, "error.html", status=403, error="csrf")
    return await handler(request)


def _has_control(value: str) -> bool:
    return "\x00" in value


@web.middleware
async def plain_input(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse with a clear 400 what no page takes: NUL bytes in the path, query or form, and ids
    beyond any database column (404)."""
    if _has_control(request.path) or any(_has_control(k) or _has_control(v) for k, v in request.query.items()):
        return render(request, "error.html", status=400, error="bad_input")
    for value in request.match_info.values():
        if value.isdigit() and int(value) > MAX_ID:
            return render(request, "error.html", status=404, error="not_found")
    if request.method not in SAFE_METHODS and request.content_type in FORM_TYPES:
        form = await request.post()
        if any(_has_control(k) or (isinstance(v, str) and _has_control(v)) for k, v in form.items()):
            return render(request, "error.html", status=400, error="bad_input")
    return await handler(request)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Show "not found" and "not allowed" as dashboard pages."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return render(request, "error.html", status=404, error="not_found")
    except web.HTTPForbidden:
        return render(request, "error.html", status=403, error="expired")


@web.middleware
async def no_store(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Keep dashboard pages (workers' questions) out of shared caches and the back-forward cache."""
    response = await handler(request)
    if not request.path.startswith(f"{PREFIX}/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
