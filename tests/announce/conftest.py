"""The channels' fixtures (the web app against fake Bot APIs, on a fake clock); here the
announcement sender does not poll by itself: tests run its rounds."""

from __future__ import annotations

import pytest

from tests.channels.conftest import Bot, StartBot, fake_telegram, fake_zalo, start_bot

__all__ = ["fake_telegram", "fake_zalo", "start_bot"]


@pytest.fixture
async def bot(start_bot: StartBot) -> Bot:
    return await start_bot(announce_poll_seconds=3600)
