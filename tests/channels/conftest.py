"""The web app with its channels against fake Bot APIs on 127.0.0.1, on a fake clock."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.appkeys import CHANNELS
from bot.channels import Channels
from bot.cli import main
from bot.service import BotService
from bot.settings import Settings
from bot.web.app import create_app
from tests.fakes import telegram as fake_tg
from tests.fakes import zalo as fake_zl
from tests.fakes.clock import FakeClock
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo

TELEGRAM_SECRET = "tg-secret-0123456789"
ZALO_SECRET = "zalo-secret-0123456789"


@dataclass
class Bot:
    """The running app, the fake platforms it talks to, and the clock its rate limits run on."""

    client: TestClient
    channels: Channels
    telegram: FakeTelegram
    zalo: FakeZalo
    clock: FakeClock
    service: BotService

    async def telegram_update(self, update: dict[str, Any], secret: str | None = TELEGRAM_SECRET) -> int:
        """Post one update to the webhook, wait for the replies to go out; the HTTP status."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        res = await self.client.post("/telegram/webhook", json=update, headers=headers)
        await self.channels.drain()
        return res.status

    async def zalo_event(self, event: dict[str, Any], secret: str | None = ZALO_SECRET) -> int:
        headers = {"X-Bot-Api-Secret-Token": secret} if secret is not None else {}
        res = await self.client.post("/zalo/webhook", json=event, headers=headers)
        await self.channels.drain()
        return res.status


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def fake_zalo() -> AsyncIterator[FakeZalo]:
    fake = FakeZalo()
    await fake.start()
    yield fake
    await fake.close()


def channel_settings(
    service: BotService, tmp_path: Path, telegram: FakeTelegram, zalo: FakeZalo, **kw: Any
) -> Settings:
    """Both channels on, against the fakes; keyword arguments override any setting."""
    values: dict[str, Any] = {
        "database_url": service.store.url,
        "data_dir": tmp_path,
        "hash_key": "test",
        "telegram_token": fake_tg.TOKEN,
        "telegram_secret": TELEGRAM_SECRET,
        "telegram_api_url": telegram.url,
        "zalo_token": fake_zl.TOKEN,
        "zalo_secret": ZALO_SECRET,
        "zalo_api_url": zalo.url,
        "public_url": "https://laodong.example",
    }
    return Settings(**{**values, **kw})


def laodong(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *argv: str, db_url: str | None = None) -> tuple[int, str]:
    """Run the `laodong` command in-process (by default on a database under tmp_path); (exit code, stdout)."""
    monkeypatch.setenv("LAODONG_DATABASE_URL", db_url or f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("LAODONG_DATA_DIR", str(tmp_path / "var"))
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    return main(list(argv)), out.getvalue()


StartBot = Callable[..., Awaitable[Bot]]


@pytest.fixture
def start_bot(
    fake_telegram: FakeTelegram, fake_zalo: FakeZalo, service: BotService, tmp_path: Path, aiohttp_client: Any
) -> StartBot:
    """Start the web app with both channels on (settings overridable); returns a Bot.

    The fakes come first so that they are torn down last: the app stops while they still answer.
    """

    async def start(**overrides: Any) -> Bot:
        settings = channel_settings(service, tmp_path, fake_telegram, fake_zalo, **overrides)
        app = create_app(settings, service=service)
        clock = FakeClock()
        app[CHANNELS].clock = clock
        client = await aiohttp_client(app)
        return Bot(client, app[CHANNELS], fake_telegram, fake_zalo, clock, service)

    return start


@pytest.fixture
async def bot(start_bot: StartBot) -> Bot:
    return await start_bot()
