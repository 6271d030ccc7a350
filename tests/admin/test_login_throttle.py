"""Sign-in throttling without races: concurrent guesses past the limit are refused unchecked,
an admin lifts a lock, and failed sign-ins are in the audit log (never the password).
Run on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import io
from collections import Counter

import pytest
from sqlalchemy import func, select

from bot.admin.accounts import FAILURES_PER_ADDRESS, FAILURES_PER_USERNAME
from bot.admin.cli import unlock
from bot.admin.models import AuditEntry, LoginAttempt
from bot.settings import Settings
from bot.store.store import Store
from tests.admin.conftest import PASSWORD, AdminSite

WRONG = "wrong-password-42"


@pytest.fixture
def store(any_store: Store) -> Store:
    """The dashboard's store: SQLite, then PostgreSQL."""
    return any_store


async def checked_attempts(site: AdminSite) -> int:
    async with site.store.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(LoginAttempt))).scalar_one())


async def test_forty_concurrent_wrong_passwords_are_not_all_checked(dashboard: AdminSite) -> None:
    statuses = await asyncio.gather(*(dashboard.login("editor", WRONG) for _ in range(40)))
    assert Counter(r.status for r in statuses) == {401: FAILURES_PER_USERNAME, 429: 40 - FAILURES_PER_USERNAME}
    assert await checked_attempts(dashboard) == FAILURES_PER_USERNAME  # only these passwords were checked
    assert (await dashboard.login("editor")).status == 429  # the right password waits for the window too
    async with dashboard.store.sessions() as session:
        failed = select(func.count()).where(AuditEntry.action == "login_failed")
        # the checked ones, and the first refusal by name and the first by address (the 21st attempt)
        assert (await session.execute(failed)).scalar_one() == FAILURES_PER_USERNAME + 2


async def test_concurrent_guesses_from_one_address_stop_at_its_limit(dashboard: AdminSite) -> None:
    names = [f"guess{i:02d}" for i in range(40)]
    statuses = await asyncio.gather(*(dashboard.login(name, WRONG) for name in names))
    assert Counter(r.status for r in statuses) == {401: FAILURES_PER_ADDRESS, 429: 40 - FAILURES_PER_ADDRESS}
    assert await checked_attempts(dashboard) == FAILURES_PER_ADDRESS


async def test_an_admin_lifts_a_lock_and_failures_are_audited(dashboard: AdminSite) -> None:
    for _ in range(FAILURES_PER_USERNAME):
        assert (await dashboard.login("editor", WRONG)).status == 401
    assert (await dashboard.login("editor")).status == 429
    assert (await dashboard.login("editor")).status == 429  # refused again: not audited again
    assert (await dashboard.login("admin")).status == 303
    page = await (await dashboard.client.get("/admin/users")).text()
    assert "Đang bị chặn đăng nhập" in page and "<b>editor</b>" in page
    res = await dashboard.post("/admin/users/locks", {"kind": "user", "name": "editor"}, csrf_from="/admin/users")
    assert res.status == 303
    await dashboard.logout()
    assert (await dashboard.login("editor")).status == 303
    async with dashboard.store.sessions() as session:
        entries = list((await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars())
    failed = [e for e in entries if e.action == "login_failed"]
    assert [(e.actor, e.detail["reason"]) for e in failed] == [("editor", "wrong")] * FAILURES_PER_USERNAME + [
        ("editor", "throttled")
    ]
    assert any(e.action == "login_unlock" and e.target == "user:editor" for e in entries)
    for entry in entries:  # no password, right or wrong, in the audit log
        assert WRONG not in repr(entry.detail) and PASSWORD not in repr(entry.detail)


async def test_the_cli_lifts_a_lock(dashboard: AdminSite) -> None:
    for _ in range(FAILURES_PER_USERNAME):
        await dashboard.login("viewer", WRONG)
    assert (await dashboard.login("viewer")).status == 429
    out = io.StringIO()
    await unlock(Settings(database_url=dashboard.store.url), "viewer", False, out)
    assert out.getvalue() == "unlocked: viewer\n"
    assert (await dashboard.login("viewer")).status == 303
