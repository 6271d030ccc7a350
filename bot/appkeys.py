"""Every typed key of the web app's shared objects, in one place (aiohttp's `AppKey`/`RequestKey`).

The composition root (`bot.web.app.create_app`) puts each object on the app; the features
(web chat, channels, dashboard) read them by key. Keys name types only: this module imports
no feature at run time, so any module may import it without making a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.admin.accounts import SignedIn
    from bot.admin.config import AdminConfig
    from bot.channels.hub import Channels
    from bot.delivery import DelivererRegistry
    from bot.flood import UserLimiter
    from bot.kbfollow import KnowledgeFollower
    from bot.redis_link import RedisLink
    from bot.service import BotService
    from bot.settings import Settings

# The core, built at start-up from the settings.
SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
SERVICE: web.AppKey[BotService] = web.AppKey("service")
REDIS: web.AppKey[RedisLink] = web.AppKey("redis")  # this process's link to Redis, when LAODONG_REDIS_URL is set
FOLLOWER: web.AppKey[KnowledgeFollower] = web.AppKey("knowledge_follower")  # follows the published knowledge

# Flood control per client address (bot/web/limits.py).
CHAT_LIMITS: web.AppKey[UserLimiter] = web.AppKey("chat_limits")  # web chat messages per client address
LANDING_LIMITS: web.AppKey[UserLimiter] = web.AppKey("landing_limits")  # campaign clicks per client address

# The messaging channels and the way officials' replies reach a worker's chat.
CHANNELS: web.AppKey[Channels] = web.AppKey("channels")
DELIVERERS: web.AppKey[DelivererRegistry] = web.AppKey("deliverers")

# The officials' dashboard (bot/admin).
ADMIN: web.AppKey[AdminConfig] = web.AppKey("admin")
SIGNED_IN: web.RequestKey[SignedIn] = web.RequestKey("admin_signed_in")
OPEN_REQUESTS: web.RequestKey[int] = web.RequestKey("admin_open_requests")  # handoffs waiting, for the navigation
NEW_LOGIN_COOKIE: web.RequestKey[str] = web.RequestKey("admin_new_login_cookie")
