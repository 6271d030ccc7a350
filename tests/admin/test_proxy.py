"""Behind a reverse proxy: officials are throttled and audited by their own address, not the proxy's."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import Mock

import pytest
from aiohttp.test_utils import make_mocked_request
from pydantic import ValidationError
from sqlalchemy import select

from bot.admin.accounts import FAILURES_PER_ADDRESS, Accounts
from bot.admin.models import AuditEntry
from bot.appkeys import ADMIN
from bot.service import BotService
from bot.settings import Settings
from bot.web.app import create_app
from bot.web.proxy import client_address, parse_networks
from tests.admin.conftest import PASSWORD, FakeClock, csrf_of


def request_from(remote: str, forwarded: str | None = None) -> Any:
    transport = Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (remote, 443) if name == "peername" else default
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return make_mocked_request("POST", "/admin/login", headers=headers, transport=transport)


def test_the_header_is_believed_only_from_a_trusted_proxy() -> None:
    proxies = parse_networks("127.0.0.1, 10.0.0.0/8")
    assert client_address(request_from("127.0.0.1", "203.0.113.5"), proxies) == "203.0.113.5"
    # Read from the right past trusted hops; what the client itself wrote on the left is not believed.
    assert client_address(request_from("127.0.0.1", "6.6.6.6, 203.0.113.5, 10.1.2.3"), proxies) == "203.0.113.5"
    assert client_address(request_from("198.51.100.7", "203.0.113.5"), proxies) == "198.51.100.7"  # not a proxy
    assert client_address(request_from("127.0.0.1", "203.0.113.5"), ()) == "127.0.0.1"  # no proxies set
    assert client_address(request_from("127.0.0.1", "not-an-ip"), proxies) == "127.0.0.1"
    assert client_address(request_from("127.0.0.1"), proxies) == "127.0.0.1"


def test_a_wrong_proxy_setting_stops_the_start_naming_it() -> None:
    with pytest.raises(ValidationError, match=r"10\.0\.0\.300"):
        Settings(trusted_proxies="127.0.0.1, 10.0.0.300")


async def test_one_address_failing_does_not_lock_out_the_others(
    aiohttp_client: Any, admin_service: BotService, tmp_path: Path, clock: FakeClock
) -> None:
    settings = Settings(
        database_url=admin_service.store.url,
        data_dir=tmp_path / "var",
        secret_key="test-secret",
        trusted_proxies="127.0.0.1",  # nginx on the same host; the test client connects from here
    )
    app = create_app(settings, service=admin_service)
    app[ADMIN].clock = clock
    accounts = Accounts(admin_service.store, clock)
    await accounts.create_user("editor", PASSWORD, "editor")
    client = await aiohttp_client(app)

    async def login(username: str, password: str, address: str) -> int:
        page = await client.get("/admin/login")
        data = {"_csrf": csrf_of(await page.text()), "username": username, "password": password}
        res = await client.post("/admin/login", data=data, headers={"X-Forwarded-For": address}, allow_redirects=False)
        return res.status

    for i in range(FAILURES_PER_ADDRESS):  # someone guessing from one address, many names
        assert await login(f"guess{i}", "wrong password", "203.0.113.5") == 401
    assert await login("editor", PASSWORD, "203.0.113.5") == 429  # that address is locked …
    assert await login("editor", PASSWORD, "198.51.100.20") == 303  # … the official's is not
    async with admin_service.store.sessions() as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "login"))).scalar_one()
    assert entry.ip == "198.51.100.20"
