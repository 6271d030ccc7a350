"""The aiohttp application: web chat, /healthz, and the channels and campaign pages (bot/channels)."""

from __future__ import annotations

import gc
import json
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from actions.types import Reply
from bot.admin.app import setup_admin
from bot.appkeys import CHAT_LIMITS, DELIVERERS, FOLLOWER, REDIS, SERVICE, SETTINGS
from bot.building import build_service
from bot.channels import setup_channels
from bot.channels.landing import START_COOKIE
from bot.channels.render import buttons
from bot.delivery import DelivererRegistry, take_web_replies
from bot.kbfollow import KnowledgeFollower
from bot.redis_link import RedisLink
from bot.service import BotService, IncomingMessage
from bot.settings import Settings
from bot.web.limits import add_address_limits, address_allowed
from knowledge.model import KnowledgeBase

STATIC_DIR = Path(__file__).resolve().parent / "static"
CHAT_COOKIE = "ld_chat"
MAX_BODY = 64 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Set the headers every page should carry."""
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
    )
    return response


def reply_json(reply: Reply, kb: KnowledgeBase) -> dict[str, Any]:
    """A reply as the web chat shows it: text, buttons (with "🔔 Nhận thông báo" where offered), sources."""
    return {
        "text": reply.text,
        "options": [{"label": o.label, "payload": o.payload} for o in buttons(reply, kb)],
        "sources": reply.sources,
        "feedback": kb.text("feedback_prompt") if reply.ask_feedback else None,
    }


async def chat_page(request: web.Request) -> web.StreamResponse:
    """Serve the web chat."""
    return web.FileResponse(STATIC_DIR / "chat.html", headers={"Cache-Control": "no-cache"})


async def healthz(request: web.Request) -> web.Response:
    """Report that the app is up and its database answers."""
    service = request.app[SERVICE]
    await service.store.count_inquiries()
    return web.json_response(
        {
            "status": "ok",
            "engine": service.engine.name,
            "entries": len(service.kb.entries),
            "knowledge_version": service.knowledge_version,  # the published version this process serves
            "pid": os.getpid(),
        }
    )


async def chat_api(request: web.Request) -> web.Response:
    """Answer one web chat message."""
    if request.content_type != "application/json":
        return web.json_response({"error": "Content-Type must be application/json"}, status=415)
    service = request.app[SERVICE]
    if not await address_allowed(request, CHAT_LIMITS, request.app[SETTINGS], service):  # no cookie: no user
        return web.json_response({"error": "too many messages from this address: wait a moment"}, status=429)
    try:
        body = json.loads(await request.read())
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep to read
        return web.json_response({"error": "body is not valid JSON"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "body must be a JSON object"}, status=400)
    text, payload, province = body.get("text", ""), body.get("payload"), body.get("province")
    if not isinstance(text, str) or not (payload is None or isinstance(payload, str)):
        return web.json_response({"error": "text and payload must be strings"}, status=400)
    if province is not None and not isinstance(province, str):
        return web.json_response({"error": "province must be a string"}, status=400)
    user = request.cookies.get(CHAT_COOKIE)
    new_user = not user or len(user) > 64
    if new_user:
        user = secrets.token_urlsafe(24)
    start_code = request.cookies.get(START_COOKIE)  # set by a campaign's landing page (/c/CODE/web)
    if start_code and payload is None and text.strip() == "/start":
        text = f"/start {start_code}"
    message = IncomingMessage(
        channel="web",
        user_ref=str(user),
        text=text if payload is None else "",
        kind="button" if payload else "text",
        payload=payload[:64] if payload else None,
        province=province,
    )
    handled = await service.handle(message)
    response = web.json_response({"reply": reply_json(handled.outcome.reply, service.kb)})
    if new_user:
        response.set_cookie(CHAT_COOKIE, str(user), httponly=True, samesite="Strict", max_age=365 * 86400)
    if start_code:
        response.del_cookie(START_COOKIE)
    return response


async def chat_updates(request: web.Request) -> web.Response:
    """Officials' replies and announcements this web chat has not shown yet (each returned once)."""
    from bot.announce.render import announcement_text
    from bot.announce.store import take_web

    user = request.cookies.get(CHAT_COOKIE)
    if not user or len(user) > 64:
        return web.json_response({"messages": []})
    service = request.app[SERVICE]
    user_id = service.user_id("web", user)
    texts = await take_web_replies(service.store, user_id)
    texts += [announcement_text(service.kb, t, "web") for t in await take_web(service.store, user_id)]
    return web.json_response({"messages": [{"text": t} for t in texts]})


def create_app(settings: Settings, service: BotService | None = None) -> web.Application:
    """The composition root: build the web application and what its parts share, from settings.

    One Redis link (when LAODONG_REDIS_URL is set) serves the flood limits and the send pacing;
    one registry takes the channels' deliverers of officials' replies. The service is built at
    start-up unless one is given.
    """
    app = web.Application(client_max_size=MAX_BODY, middlewares=[security_headers])
    app[SETTINGS] = settings
    app[DELIVERERS] = DelivererRegistry()  # officials' replies to workers: channels register theirs
    redis = RedisLink(settings.redis_url) if settings.redis_url else None  # opened on first use
    if redis is not None:
        app[REDIS] = redis

    async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
        yield
        if redis is not None:
            await redis.close()  # last: everything that uses it has stopped

    app.cleanup_ctx.append(redis_ctx)
    add_address_limits(app, settings, redis)  # web chat and landing pages, per client address (bot/web/limits.py)

    async def service_ctx(app: web.Application) -> AsyncIterator[None]:
        owned = service is None
        app[SERVICE] = service if service is not None else await build_service(settings, limit_users=True, redis=redis)
        app[FOLLOWER] = KnowledgeFollower(app[SERVICE], settings.kb_poll_seconds)  # the published knowledge
        await app[FOLLOWER].start()
        yield
        await app[FOLLOWER].stop()
        if owned:
            await app[SERVICE].close()
            limiter = app[SERVICE].limiter
            if limiter is not None:
                await limiter.close()  # a shared limiter's Redis client

    app.cleanup_ctx.append(service_ctx)
    setup_channels(app, settings, SERVICE, redis)  # Telegram and Zalo webhooks, campaign pages (bot/channels)
    app.router.add_get("/", chat_page)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/chat", chat_api)
    app.router.add_get("/api/chat/updates", chat_updates)
    app.router.add_static("/static", STATIC_DIR)
    setup_admin(app, settings)  # the officials' dashboard at /admin (bot/admin)
    return app


def run_server(settings: Settings, host: str | None = None, port: int | None = None, reuse_port: bool = False) -> None:
    """Serve until interrupted (refusing to start a production server without its secrets).

    `reuse_port`: share the port with the other workers of `laodong serve --workers N`.
    """
    settings.refuse_unsafe_start()
    app = create_app(settings)
    app.on_startup.append(freeze_startup_objects)  # runs after the service and channels have started
    web.run_app(app, host=host or settings.host, port=port or settings.port, reuse_port=reuse_port or None)


async def freeze_startup_objects(app: web.Application) -> None:
    """Keep what start-up built (knowledge, model, libraries) out of the GC's scans: p99 GC pauses of
    ~150 ms fall to ~15 ms under webhook load (scripts/bench_webhook.py). Then collect as usual (the
    `laodong` process starts with the collector off, bot/cli.py)."""
    gc.freeze()
    gc.enable()
