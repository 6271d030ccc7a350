"""`laodong telegram|zalo set-webhook` register our webhook, with our secret, at the (fake) Bot API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.channels.conftest import TELEGRAM_SECRET, ZALO_SECRET, laodong
from tests.fakes import telegram as fake_tg
from tests.fakes import zalo as fake_zl
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo


async def test_telegram_set_webhook_sends_the_secret_and_the_command_menu(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LAODONG_TELEGRAM_TOKEN", fake_tg.TOKEN)
    monkeypatch.setenv("LAODONG_TELEGRAM_SECRET", TELEGRAM_SECRET)
    monkeypatch.setenv("LAODONG_TELEGRAM_API_URL", fake_telegram.url)
    url = "https://laodong.example/telegram/webhook"
    code, out = await asyncio.to_thread(laodong, monkeypatch, tmp_path, "telegram", "set-webhook", url)
    assert code == 0 and out == f"telegram webhook set: {url}\n"
    (hook,) = fake_telegram.calls_of("setWebhook")
    assert hook["url"] == url and hook["secret_token"] == TELEGRAM_SECRET
    assert hook["allowed_updates"] == ["message", "callback_query"]
    (menu,) = fake_telegram.calls_of("setMyCommands")
    assert [c["command"] for c in menu["commands"]] == ["start", "help", "tinh", "nguoi", "xoa", "dangky", "huy", "ma"]
    assert menu["commands"][4]["description"] == "Xóa dữ liệu của tôi"
    assert menu["commands"][7]["description"] == "Xem yêu cầu đã gửi cán bộ (mã)"


async def test_zalo_set_webhook_sends_the_secret(
    fake_zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LAODONG_ZALO_TOKEN", fake_zl.TOKEN)
    monkeypatch.setenv("LAODONG_ZALO_SECRET", ZALO_SECRET)
    monkeypatch.setenv("LAODONG_ZALO_API_URL", fake_zalo.url)
    url = "https://laodong.example/zalo/webhook"
    code, _ = await asyncio.to_thread(laodong, monkeypatch, tmp_path, "zalo", "set-webhook", url)
    assert code == 0
    assert fake_zalo.calls_of("setWebhook") == [{"url": url, "secret_token": ZALO_SECRET}]


@pytest.mark.parametrize("platform", ["telegram", "zalo"])
def test_set_webhook_needs_token_and_secret(platform: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TOKEN", "SECRET"):
        monkeypatch.delenv(f"LAODONG_{platform.upper()}_{name}", raising=False)
    monkeypatch.setenv(f"LAODONG_{platform.upper()}_TOKEN", "1:x")
    with pytest.raises(SystemExit, match="SECRET"):
        laodong(monkeypatch, tmp_path, platform, "set-webhook", "https://laodong.example/hook")
