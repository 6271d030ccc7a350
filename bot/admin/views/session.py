"""Signing in and out."""

from __future__ import annotations

from aiohttp import web

from bot.admin.auth import SESSION_COOKIE, ensure_login_cookie, public, set_cookie
from bot.admin.config import PREFIX
from bot.admin.context import accounts_of, audit, client_ip, render
from bot.admin.csrf import LOGIN_COOKIE

routes = web.RouteTableDef()


def safe_next(value: object) -> str:
    """Where to go after signing in: a dashboard path only (never another site)."""
    path = value if isinstance(value, str) else ""
    control = any(ord(c) < 32 or ord(c) == 127 for c in path)  # CR/LF would split the Location header
    if path.startswith(f"{PREFIX}/") and not path.startswith("//") and "\\" not in path and not control:
        return path
    return f"{PREFIX}/"


@routes.get("/login")
@public
async def login_page(request: web.Request) -> web.StreamResponse:
    """Show the sign-in form."""
    new_cookie = ensure_login_cookie(request)
    response = render(request, "login.html", next=safe_next(request.query.get("next")), failed=None)
    if new_cookie:
        set_cookie(request, response, LOGIN_COOKIE, new_cookie)
    return response


@routes.post("/login")
@public
async def login(request: web.Request) -> web.StreamResponse:
    """Sign in; after repeated failures, refuse for a while without checking the password."""
    form = await request.post()
    accounts = accounts_of(request)
    result = await accounts.authenticate(
        str(form.get("username", "")), str(form.get("password", "")), client_ip(request)
    )
    if result.user is None:
        failed = "throttled" if result.throttled else "wrong"
        if not result.throttled or result.first_refusal:  # a flood of refusals is not a flood of rows
            # The name as typed (bounded) and why; never the password.
            name = str(form.get("username", "")).strip().lower()[:64]
            await accounts.audit(name or "-", "login_failed", f"user:{name}", {"reason": failed}, client_ip(request))
        status = 429 if result.throttled else 401
        return render(request, "login.html", status=status, next=safe_next(form.get("next")), failed=failed)
    token = await accounts.start_session(result.user)
    await accounts.audit(result.user.username, "login", ip=client_ip(request))
    response = web.Response(status=303, headers={"Location": safe_next(form.get("next"))})
    set_cookie(request, response, SESSION_COOKIE, token)
    response.del_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """End this session."""
    await audit(request, "logout")
    await accounts_of(request).end_session(request.cookies.get(SESSION_COOKIE, ""))
    response = web.Response(status=303, headers={"Location": f"{PREFIX}/login?msg=logged_out"})
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    return response
