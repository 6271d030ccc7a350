"""Accounts and safety: hashed passwords, sessions, throttling, CSRF, roles, audit."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from yarl import URL

from bot.admin.accounts import FAILURES_PER_USERNAME, Accounts, hash_password, verify_password
from bot.admin.models import AdminSession, AdminUser, AuditEntry
from tests.admin.conftest import PASSWORD, AdminSite, csrf_of
from tests.cli import Done
from tests.cli import run as laodong


async def audit_actions(site: AdminSite) -> list[str]:
    async with site.store.sessions() as session:
        return list((await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars())


def test_passwords_are_hashed_with_argon2id() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$") and "correct horse" not in hashed
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "correct horse battery!")
    assert not verify_password("not a hash", "x")


async def test_signing_in_sets_a_safe_cookie_and_keeps_only_its_hash(dashboard: AdminSite) -> None:
    res = await dashboard.login("viewer")
    assert res.status == 303 and res.headers["Location"] == "/admin/"
    cookie = next(c for c in res.headers.getall("Set-Cookie") if c.startswith("ld_admin="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    async with dashboard.store.sessions() as session:
        stored = list((await session.execute(select(AdminSession.id))).scalars())
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    page = await dashboard.client.get("/admin/")
    assert page.status == 200 and "viewer" in await page.text()
    assert page.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


async def test_pages_need_a_session(dashboard: AdminSite) -> None:
    res = await dashboard.client.get("/admin/inquiries?topic=employment", allow_redirects=False)
    assert res.status == 303
    location = URL(res.headers["Location"])
    assert location.path == "/admin/login" and location.query["next"] == "/admin/inquiries?topic=employment"
    assert (await dashboard.client.post("/admin/handoffs/1/close", allow_redirects=False)).status == 403
    assert (await dashboard.client.get("/admin", allow_redirects=False)).headers["Location"] == "/admin/"


async def test_wrong_passwords_are_throttled_until_the_window_passes(dashboard: AdminSite) -> None:
    for _ in range(FAILURES_PER_USERNAME):
        res = await dashboard.login("editor", "wrong password")
        assert res.status == 401
        assert "không đúng" in await res.text()
    res = await dashboard.login("editor")  # the right password, but locked for now
    assert res.status == 429 and "quá nhiều lần" in await res.text()
    dashboard.clock.advance(minutes=16)
    assert (await dashboard.login("editor")).status == 303


async def test_unknown_users_fail_like_wrong_passwords(dashboard: AdminSite) -> None:
    res = await dashboard.login("nobody", "whatever-password")
    assert res.status == 401


async def test_locked_accounts_cannot_sign_in(dashboard: AdminSite) -> None:
    accounts = Accounts(dashboard.store, dashboard.clock)
    [viewer] = [u for u in await accounts.users() if u.username == "viewer"]
    await accounts.set_active(viewer.id, False)
    assert (await dashboard.login("viewer")).status == 401


async def test_forms_without_the_sessions_token_are_refused(dashboard: AdminSite) -> None:
    await dashboard.login("admin")
    client = dashboard.client
    form = {"username": "newbie", "password": PASSWORD, "role": "viewer"}
    assert (await client.post("/admin/users", data=form)).status == 403
    assert (await client.post("/admin/users", data={**form, "_csrf": "0" * 64})).status == 403
    token = await dashboard.csrf()
    other_site = {"Origin": "https://evil.example"}
    assert (await client.post("/admin/users", data={**form, "_csrf": token}, headers=other_site)).status == 403
    ok = await client.post("/admin/users", data={**form, "_csrf": token}, allow_redirects=False)
    assert ok.status == 303


async def test_the_login_form_has_its_own_token(dashboard: AdminSite) -> None:
    data = {"username": "admin", "password": PASSWORD}
    assert (await dashboard.client.post("/admin/login", data=data)).status == 403
    page = await dashboard.client.get("/admin/login")
    assert "HttpOnly" in page.headers["Set-Cookie"]
    data["_csrf"] = csrf_of(await page.text())
    assert (await dashboard.client.post("/admin/login", data=data, allow_redirects=False)).status == 303


async def test_viewers_read_editors_answer_admins_manage(dashboard: AdminSite) -> None:
    await dashboard.login("viewer")
    assert (await dashboard.client.get("/admin/inquiries")).status == 200
    assert (await dashboard.post("/admin/unanswered/handled", {"ids": "1"})).status == 403
    assert (await dashboard.client.get("/admin/users")).status == 403
    await dashboard.logout()
    await dashboard.login("editor")
    assert (await dashboard.post("/admin/unanswered/handled", {"ids": "1"})).status == 303
    assert (await dashboard.post("/admin/campaigns", {"code": "x1", "name": "X"})).status == 403
    assert (await dashboard.client.get("/admin/audit")).status == 403
    await dashboard.logout()
    await dashboard.login("admin")
    assert (await dashboard.client.get("/admin/users")).status == 200
    assert (await dashboard.client.get("/admin/audit")).status == 200


async def test_logout_ends_the_session(dashboard: AdminSite) -> None:
    await dashboard.login("viewer")
    res = await dashboard.logout()
    assert res.status == 303 and res.headers["Location"].startswith("/admin/login")
    assert (await dashboard.client.get("/admin/", allow_redirects=False)).status == 303
    assert await audit_actions(dashboard) == ["login", "logout"]


async def test_idle_sessions_expire(dashboard: AdminSite) -> None:
    await dashboard.login("viewer")
    dashboard.clock.advance(hours=3)
    assert (await dashboard.client.get("/admin/", allow_redirects=False)).status == 200
    dashboard.clock.advance(hours=5)
    assert (await dashboard.client.get("/admin/", allow_redirects=False)).status == 303


async def test_admins_manage_users_and_every_change_is_audited(dashboard: AdminSite) -> None:
    await dashboard.login("admin")
    form = {"username": "Can.Bo-1", "password": PASSWORD, "role": "viewer"}
    assert (await dashboard.post("/admin/users", form)).status == 303
    async with dashboard.store.sessions() as session:
        user = (await session.execute(select(AdminUser).where(AdminUser.username == "can.bo-1"))).scalar_one()
    path = f"/admin/users/{user.id}"
    assert (await dashboard.post(path, {"change": "role", "role": "editor"})).status == 303
    assert (await dashboard.post(path, {"change": "password", "password": "short"})).status == 400
    assert (await dashboard.post(path, {"change": "password", "password": "another-long-one"})).status == 303
    assert (await dashboard.post(path, {"change": "active", "active": "0"})).status == 303
    short = await dashboard.post("/admin/users", {"username": "x2y", "password": "123", "role": "viewer"})
    assert short.status == 400 and "10 ký tự" in await short.text()
    [me] = [u for u in await Accounts(dashboard.store).users() if u.username == "admin"]
    last_admin = await dashboard.post(f"/admin/users/{me.id}", {"change": "role", "role": "viewer"})
    assert last_admin.status == 400 and "quản trị viên cuối cùng" in await last_admin.text()
    actions = await audit_actions(dashboard)
    assert actions == ["login", "user_create", "user_role", "user_password", "user_active"]
    page = await (await dashboard.client.get("/admin/audit")).text()
    assert "Đổi quyền" in page and "user:can.bo-1" in page


def test_create_user_from_the_command_line(tmp_path: Path) -> None:
    env = {"LAODONG_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "LAODONG_DATA_DIR": str(tmp_path / "var")}

    def run(*args: str, stdin: str) -> Done:
        return laodong(env, "admin", "create-user", *args, stdin=stdin)

    done = run("chi.lan", "--role", "editor", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "created editor chi.lan" in done.stdout
    assert run("chi.lan", "--role", "editor", "--password-stdin", stdin=PASSWORD + "\n").returncode != 0
    short = run("anh.ba", "--role", "viewer", "--password-stdin", stdin="ngan\n")
    assert short.returncode != 0 and "password" in short.stderr
