"""Flood control per client address, for requests that carry no user to limit: the web chat
without a cookie, and campaign landing pages (anyone may request /c/<anything>)."""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import CHAT_LIMITS, LANDING_LIMITS
from bot.flood import UserLimiter, make_address_limiter
from bot.redis_link import RedisLink
from bot.service import BotService
from bot.settings import Settings
from bot.web.proxy import client_address


def add_address_limits(app: web.Application, settings: Settings, redis: RedisLink | None) -> None:
    """Put the per-address limiters on the app (closed with it), shared through `redis` if given."""
    chat = make_address_limiter(settings, redis, settings.address_rate, settings.address_burst, "chat-addr")
    landing = make_address_limiter(settings, redis, settings.landing_rate, settings.landing_burst, "landing-addr")
    app[CHAT_LIMITS], app[LANDING_LIMITS] = chat, landing

    async def close(app: web.Application) -> None:
        for limits in (app[CHAT_LIMITS], app[LANDING_LIMITS]):
            await limits.close()

    app.on_cleanup.append(close)


async def address_allowed(
    request: web.Request, limits: web.AppKey[UserLimiter], settings: Settings, service: BotService
) -> bool:
    """Whether the client's address (believing X-Forwarded-For from trusted proxies only) is within
    its budget; the limiter sees a keyed hash of the address, never the address."""
    address = client_address(request, settings.proxy_networks)
    allowed, _first = await request.app[limits].allow(service.user_id("address", address))
    return allowed
