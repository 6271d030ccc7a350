"""The messaging channels (Telegram, Zalo) and campaign landing pages, plugged into the web app.

`setup_channels` is the only entry point: it adds the routes the settings turn on and runs
each channel for the life of the app. Each adapter only translates (design.md §1): platform
payload → IncomingMessage → the core → Reply → platform calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

from aiohttp import web

from bot.announce.sender import Sender, sending
from bot.announce.transport import Transport
from bot.appkeys import CHANNELS, DELIVERERS
from bot.channels import landing, zalo
from bot.channels.hub import Channels, telegram_enabled
from bot.delivery import Delivery
from bot.redis_link import RedisLink
from bot.service import BotService
from bot.settings import Settings

__all__ = ["Channels", "setup_channels"]


class OfficialReplies:
    """Sends an official's reply (from the dashboard) to a worker's Telegram or Zalo chat."""

    def __init__(self, channels: Channels, channel: str) -> None:
        self.channels = channels
        self.channel = channel

    async def deliver(self, delivery: Delivery) -> bool:
        """Send the text, paced like every reply; False if the channel is off or has no address."""
        running = self.channels.telegram if self.channel == "telegram" else self.channels.zalo
        if running is None or not delivery.address:
            return False
        await running.send_text(delivery.address, delivery.text)
        return True


async def channel_stats(request: web.Request) -> web.Response:
    """Report each channel's counters (received, ignored, duplicate, rejected, sent, failed…)."""
    channels = request.app[CHANNELS]
    running = {"telegram": channels.telegram is not None, "zalo": channels.zalo is not None}
    return web.json_response({name: {"on": running[name], **stats.as_dict()} for name, stats in channels.stats.items()})


def setup_channels(
    app: web.Application, settings: Settings, service_key: web.AppKey[BotService], redis: RedisLink | None = None
) -> Channels:
    """Add the webhook and landing routes the settings turn on, and run the channels with the app
    (their send pacing shared with other processes through `redis`, if given)."""
    channels = Channels(settings=settings)
    app[CHANNELS] = channels

    async def zalo_webhook(request: web.Request) -> web.Response:
        return await zalo.webhook(request, channels.zalo, channels.secret_guard())

    if telegram_enabled(settings):
        from bot.channels import telegram  # python-telegram-bot, a long import: only when Telegram is on

        async def telegram_webhook(request: web.Request) -> web.Response:
            return await telegram.webhook(request, channels.telegram, channels.secret_guard())

        if not settings.telegram_polling:
            app.router.add_post("/telegram/webhook", telegram_webhook)
    if zalo.enabled(settings) and not settings.zalo_polling:
        app.router.add_post("/zalo/webhook", zalo_webhook)
    app.router.add_get("/c/{code}", landing.landing)
    app.router.add_get("/c/{code}/web", landing.start_web_chat)
    app.router.add_get("/healthz/channels", channel_stats)
    for name in ("telegram", "zalo"):
        app[DELIVERERS].register(name, OfficialReplies(channels, name))

    async def channels_ctx(app: web.Application) -> AsyncIterator[None]:
        service = app[service_key]
        channels.service = service
        async with AsyncExitStack() as stack:
            if telegram_enabled(settings):
                from bot.channels import telegram

                channels.telegram = await stack.enter_async_context(
                    telegram.running(settings, service, channels.clock, channels.stats["telegram"], redis)
                )
            if zalo.enabled(settings):
                channels.zalo = await stack.enter_async_context(
                    zalo.running(settings, service, channels.clock, channels.stats["zalo"], redis)
                )
            transports: dict[str, Transport] = {}
            if channels.telegram is not None:
                transports["telegram"] = channels.telegram
            if channels.zalo is not None:
                transports["zalo"] = channels.zalo
            if transports:  # announcements go out from every process that runs a channel
                sender = Sender(
                    service,
                    transports,
                    channels.clock,
                    lease=settings.announce_lease_seconds,
                    poll=settings.announce_poll_seconds,
                    batch=settings.announce_batch,
                )
                channels.sender = await stack.enter_async_context(sending(sender))
            yield
        channels.telegram = channels.zalo = channels.sender = None

    app.cleanup_ctx.append(channels_ctx)
    return channels
