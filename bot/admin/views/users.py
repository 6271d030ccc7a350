"""Accounts (admins only): create officials, change roles, lock, reset passwords."""

from __future__ import annotations

from aiohttp import web

from bot.admin.accounts import AccountError
from bot.admin.auth import requires
from bot.admin.context import accounts_of, audit, render, see_other
from bot.admin.roles import ROLES

routes = web.RouteTableDef()
HERE = "/admin/users"


async def page(request: web.Request, error: str | None = None, status: int = 200) -> web.StreamResponse:
    accounts = accounts_of(request)
    users, locks = await accounts.users(), await accounts.locks()
    return render(request, "users.html", status=status, users=users, roles=ROLES, error=error, locks=locks)


@routes.get("/users")
@requires("admin")
async def users(request: web.Request) -> web.StreamResponse:
    """The officials who may sign in."""
    return await page(request)


@routes.post("/users")
@requires("admin")
async def create(request: web.Request) -> web.StreamResponse:
    """Add an official with a first password."""
    form = await request.post()
    username, role = str(form.get("username", "")), str(form.get("role", ""))
    try:
        user = await accounts_of(request).create_user(username, str(form.get("password", "")), role)
    except AccountError as exc:
        return await page(request, exc.code, 400)
    await audit(request, "user_create", f"user:{user.username}", role=role)
    see_other(HERE, "user_created")


@routes.post(r"/users/{id:\d+}")
@requires("admin")
async def change(request: web.Request) -> web.StreamResponse:
    """Change one thing about an account: its role, whether it may sign in, or its password."""
    form, accounts = await request.post(), accounts_of(request)
    user_id, what = int(request.match_info["id"]), str(form.get("change", ""))
    try:
        if what == "role":
            user = await accounts.set_role(user_id, str(form.get("role", "")))
        elif what == "active":
            user = await accounts.set_active(user_id, form.get("active") == "1")
        elif what == "password":
            user = await accounts.set_password(user_id, str(form.get("password", "")))
        else:
            return await page(request, "bad_change", 400)
    except AccountError as exc:
        return await page(request, exc.code, 400)
    detail = {"role": user.role} if what == "role" else {"active": user.active} if what == "active" else {}
    await audit(request, f"user_{what}", f"user:{user.username}", **detail)
    see_other(HERE, "password_reset" if what == "password" else "user_updated")


@routes.post("/users/locks")
@requires("admin")
async def lift_lock(request: web.Request) -> web.StreamResponse:
    """Let a username or address that too many failed sign-ins locked try again now."""
    form = await request.post()
    kind, name = str(form.get("kind", "")), str(form.get("name", ""))
    try:
        lifted = await accounts_of(request).lift_lock(kind, name)
    except AccountError as exc:
        return await page(request, exc.code, 400)
    if lifted:
        await audit(request, "login_unlock", f"{kind}:{name[:64]}")
    see_other(HERE, "lock_lifted")
