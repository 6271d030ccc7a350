"""The channels' shared place in the web app: one holder, filled in at start-up, found by AppKey."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.common import ChannelStats, SecretGuard
from bot.channels.ratelimit import Clock, LoopClock
from bot.service import BotService
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.announce.sender import Sender
    from bot.channels.telegram import TelegramChannel
    from bot.channels.zalo import ZaloChannel


def telegram_enabled(settings: Settings) -> bool:
    """Telegram is on with a token, and a webhook secret unless it polls.

    Asked here, not in telegram.py: a server without Telegram never imports python-telegram-bot.
    """
    return bool(settings.telegram_token and (settings.telegram_secret or settings.telegram_polling))


@dataclass
class Channels:
    """The running channels of one web app (None where a channel is off), and their counters."""

    settings: Settings
    clock: Clock = field(default_factory=LoopClock)  # tests put a fake clock here before start-up
    service: BotService | None = None
    telegram: TelegramChannel | None = None
    zalo: ZaloChannel | None = None
    sender: Sender | None = None  # announcements (bot/announce/sender.py), while a channel runs
    stats: dict[str, ChannelStats] = field(default_factory=lambda: {"telegram": ChannelStats(), "zalo": ChannelStats()})
    guard: SecretGuard | None = None  # wrong webhook secrets per address (made on first use, on `clock`)

    def secret_guard(self) -> SecretGuard:
        """The webhooks' throttle of wrong secrets per source address (trusting the configured proxies)."""
        if self.guard is None:
            self.guard = SecretGuard(self.clock, trusted=self.settings.proxy_networks)
        return self.guard

    def core(self) -> BotService:
        """The core service (there once the app has started)."""
        if self.service is None:
            raise web.HTTPServiceUnavailable(text="starting up")
        return self.service

    def telegram_username(self) -> str | None:
        """The bot's Telegram username, from settings or, once known, from getMe."""
        if self.settings.telegram_bot_username:
            return self.settings.telegram_bot_username.lstrip("@")
        if self.telegram is not None and self.telegram.application.running:
            return str(self.telegram.application.bot.username)
        return None

    async def drain(self) -> None:
        """Wait until every reply handed to a channel has been sent or has failed."""
        for channel in (self.telegram, self.zalo):
            if channel is not None:
                await channel.outbox.drain()
