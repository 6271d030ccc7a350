"""Zalo Bot Platform: events in by webhook (or getUpdates polling), plain-text replies out.

The API is Telegram-like: POST `<root>/bot<TOKEN>/<method>` with a JSON body, answered with
`{"ok", "result"}` (or `{"ok": false, "error_code", "description"}`). Zalo has no buttons, so
options are numbered (render.py) and a typed number picks one; right after an answer, a typed
"0" rates it 👎, and "1" rates it 👍 when the answer listed no numbered follow-ups.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web

from actions.types import Reply
from bot.announce.transport import DEFAULT_RETRY, Blocked, RetryLater
from bot.channels.common import (
    NOTHING,
    ChannelStats,
    Conversations,
    Outbox,
    SecretGuard,
    pump_outbox,
    stop,
    transient,
    webhook_body,
)
from bot.channels.ratelimit import Clock, LoopClock, Pacer, broadcast, make_pacer, paced
from bot.channels.render import ZALO_TEXT_LIMIT, split_text, zalo_messages
from bot.privacy import load_or_create_key
from bot.redis_link import RedisLink
from bot.service import BotService, IncomingMessage
from bot.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "zalo"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
EVENT_KINDS = {
    "message.text.received": "text",
    "message.image.received": "image",
    "message.sticker.received": "sticker",
    "message.unsupported.received": "other",
}
POLL_TIMEOUT = 30  # seconds getUpdates may hold the request open
POLL_ERROR_PAUSE = 5.0
REQUEST_TIMEOUT = 15.0
SHUTDOWN_GRACE = 10.0
DEFAULT_RETRY_AFTER = 1.0


def enabled(settings: Settings) -> bool:
    """Zalo is on with a token, and a webhook secret unless it polls."""
    return bool(settings.zalo_token and (settings.zalo_secret or settings.zalo_polling))


class ZaloApiError(Exception):
    """The Zalo Bot API refused a call."""

    def __init__(self, method: str, error_code: int | None, description: str) -> None:
        super().__init__(f"{method}: {error_code} {description}")
        self.error_code = error_code


class ZaloRetryAfter(ZaloApiError):
    """A 429: the platform asks us to wait before trying again."""

    def __init__(self, method: str, retry_after: float) -> None:
        super().__init__(method, 429, f"retry after {retry_after} s")
        self.retry_after = retry_after


def zalo_retry_after(exc: Exception) -> float | None:
    return exc.retry_after if isinstance(exc, ZaloRetryAfter) else None


def _retry_after(body: Any, headers: Mapping[str, str]) -> float:
    """How long a 429 asks us to wait: `parameters.retry_after` in the body, or the Retry-After header."""
    parameters = body.get("parameters") if isinstance(body, dict) else None
    asked = (parameters.get("retry_after") if isinstance(parameters, dict) else None, headers.get("Retry-After"))
    for value in asked:
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except (TypeError, ValueError):
            continue
    return DEFAULT_RETRY_AFTER


class ZaloClient:
    """The Zalo Bot API over aiohttp, sends paced per chat and in all, retried after a 429."""

    def __init__(
        self, settings: Settings, session: aiohttp.ClientSession, pacer: Pacer, retries: int | None = None
    ) -> None:
        assert settings.zalo_token
        self._root = f"{settings.zalo_api_url.rstrip('/')}/bot{settings.zalo_token}"
        self._session = session
        self.pacer = pacer
        self.retries = settings.send_retries if retries is None else retries

    async def call(self, method: str, payload: dict[str, Any] | None = None, timeout: float = REQUEST_TIMEOUT) -> Any:
        """Call one method; its `result`, or ZaloApiError / ZaloRetryAfter."""
        async with self._session.post(
            f"{self._root}/{method}", json=payload or {}, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as res:
            try:
                body = await res.json(content_type=None)
            except ValueError:
                body = None
            code = body.get("error_code") if isinstance(body, dict) else None
            if res.status == 429 or code == 429:
                raise ZaloRetryAfter(method, _retry_after(body, res.headers))
            if not isinstance(body, dict) or not body.get("ok"):
                description = str(body.get("description", "")) if isinstance(body, dict) else f"HTTP {res.status}"
                raise ZaloApiError(method, code if isinstance(code, int) else res.status, description)
            return body.get("result")

    async def send_message(self, chat_id: str, text: str) -> None:
        """Send one text message to a chat."""
        payload = {"chat_id": chat_id, "text": text}
        await paced(self.pacer, chat_id, lambda: self.call("sendMessage", payload), zalo_retry_after, self.retries)

    async def send_announcement(self, chat_id: str, text: str) -> None:
        """Send one announcement behind every waiting reply: Blocked when Zalo refuses the chat
        (403: the worker blocked or left the bot), RetryLater after a 429 or a network failure."""
        payload = {"chat_id": chat_id, "text": text[:ZALO_TEXT_LIMIT]}
        try:
            await broadcast(self.pacer, chat_id, lambda: self.call("sendMessage", payload), zalo_retry_after)
        except ZaloRetryAfter as exc:
            raise RetryLater(exc.retry_after) from None
        except ZaloApiError as exc:
            if exc.error_code == 403:
                raise Blocked(chat_id) from None
            raise
        except Exception as exc:
            if transient(exc):
                raise RetryLater(DEFAULT_RETRY) from None
            raise

    async def get_updates(self, timeout: int = POLL_TIMEOUT) -> list[dict[str, Any]]:
        """The next events: getUpdates returns one at a time (a list is taken too); none after a timeout."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10)
        except ZaloApiError as exc:
            if exc.error_code == 408:  # nothing arrived while we waited
                return []
            raise
        events = result if isinstance(result, list) else [result]
        return [e for e in events if isinstance(e, dict)]

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.call("setWebhook", {"url": url, "secret_token": secret})


def unwrap(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event, whether it came flat or wrapped as `{"ok": true, "result": {...}}`."""
    result = body.get("result")
    if "event_name" not in body and isinstance(result, Mapping):
        return result
    return body


def _external_id(message_id: str) -> str:
    return message_id if len(message_id) <= 64 else hashlib.sha256(message_id.encode()).hexdigest()


def incoming_event(event: Mapping[str, Any]) -> tuple[IncomingMessage, str] | None:
    """The core's message for a private-chat event, and the chat to answer in; None if not one."""
    kind = EVENT_KINDS.get(str(event.get("event_name")))
    message = event.get("message")
    if kind is None or not isinstance(message, Mapping):
        return None
    sender, chat = message.get("from"), message.get("chat")
    if not isinstance(sender, Mapping) or not isinstance(chat, Mapping):
        return None
    user, chat_id, message_id = sender.get("id"), chat.get("id"), message.get("message_id")
    if not user or not chat_id or not message_id:
        return None
    if str(chat.get("chat_type", "PRIVATE")).upper() != "PRIVATE":
        return None
    text = message.get("text") if kind == "text" else message.get("caption")
    text = text if isinstance(text, str) else ""
    if kind == "image" and text.strip():
        kind = "text"  # a photo with a question under it: answer the question
    msg = IncomingMessage(
        channel=CHANNEL,
        user_ref=str(user),
        text=text,
        kind=kind,
        external_id=_external_id(str(message_id)),
        reply_to=str(chat_id),
        buttons=False,  # options and ratings come back typed as numbers
    )
    return msg, str(chat_id)


class ZaloChannel:
    """Zalo events to the core and numbered plain-text replies back."""

    def __init__(
        self,
        service: BotService,
        client: ZaloClient,
        secret: str | None,
        stats: ChannelStats,
        outbox_lease: float = 60.0,
    ) -> None:
        self.service = service
        self.client = client
        self.secret = secret
        self.stats = stats
        self.conversations = Conversations(service, stats)
        self.outbox = Outbox(service, stats, CHANNEL)
        self.outbox_lease = outbox_lease

    async def on_event(self, event: Mapping[str, Any]) -> None:
        """Answer one event; events the bot does not handle are counted and left."""
        parsed = incoming_event(event)
        if parsed is None:
            self.stats.count("ignored")
            return
        msg, chat_id = parsed
        handled = await self.conversations.receive(msg, self.render, self.outbox_lease)
        if handled is None:
            return
        messages = handled.messages or []
        if not messages:
            self.stats.count(NOTHING)  # recorded with the inquiry
            return
        self.outbox.deliver(handled.inquiry_id, self.send_stored(chat_id, messages), handled.queued, msg.external_id)

    def render(self, reply: Reply) -> list[dict[str, Any]]:
        """A reply as it will be sent (numbered plain text), to keep in the outbox until it is."""
        return [{"text": text} for text in zalo_messages(reply, self.service.kb)]

    async def send_stored(self, chat_id: str, messages: list[dict[str, Any]]) -> None:
        """Send one reply's messages in order."""
        await self.send(chat_id, [str(m["text"]) for m in messages])

    async def pump(self) -> int:
        """Send the durable replies no process is sending (after a crash, or to try again)."""
        return await self.outbox.pump(self.send_stored, self.outbox_lease)

    async def send(self, chat_id: str, texts: list[str]) -> None:
        """Send one reply's messages in order."""
        for text in texts:
            await self.client.send_message(chat_id, text)

    async def send_announcement(self, chat_id: str, text: str) -> None:
        """One announcement (bot/announce/sender.py)."""
        await self.client.send_announcement(chat_id, text)

    async def send_text(self, chat_id: str, text: str) -> None:
        """Send plain text (an official's reply) to a chat, split at 2000 characters."""
        await self.send(chat_id, split_text(text, ZALO_TEXT_LIMIT))

    async def poll(self) -> None:
        """Fetch events one at a time with getUpdates and answer each, until cancelled."""
        while True:
            try:
                events = await self.client.get_updates()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Zalo getUpdates failed: %s", type(exc).__name__)
                await self.client.pacer.clock.sleep(POLL_ERROR_PAUSE)
                continue
            for event in events:
                try:
                    await self.on_event(unwrap(event))
                except Exception:
                    log.exception("Zalo event failed")


async def webhook(request: web.Request, channel: ZaloChannel | None, guard: SecretGuard) -> web.Response:
    """Take one event from Zalo: check the secret, parse, answer (the reply goes out after)."""
    body = await webhook_body(request, channel, SECRET_HEADER, guard)
    if isinstance(body, web.Response):
        return body
    assert channel is not None  # webhook_body answered 404 otherwise
    event = unwrap(body)
    if not isinstance(event.get("event_name"), str):
        channel.stats.count("malformed")
        return web.json_response({"ok": False, "error": "not a Zalo event"}, status=400)
    await channel.on_event(event)
    return web.json_response({"ok": True})


@asynccontextmanager
async def running(
    settings: Settings, service: BotService, clock: Clock, stats: ChannelStats, redis: RedisLink | None = None
) -> AsyncIterator[ZaloChannel]:
    """Run the Zalo channel for the life of the web app: webhook, or polling if asked."""
    pacer = make_pacer(
        settings.zalo_rate_per_chat,
        settings.zalo_rate_overall,
        clock,
        redis,
        f"{settings.redis_prefix}zalo:",
        load_or_create_key(settings.hash_key, settings.data_dir),  # chat ids hashed in Redis key names
    )
    async with aiohttp.ClientSession() as session:
        client = ZaloClient(settings, session, pacer)
        channel = ZaloChannel(service, client, settings.zalo_secret, stats, settings.outbox_lease_seconds)
        poller = asyncio.get_running_loop().create_task(channel.poll()) if settings.zalo_polling else None
        pumping = pump_outbox(channel.pump, settings.outbox_poll_seconds)
        try:
            yield channel
        finally:
            await stop(pumping)
            if poller is not None:
                poller.cancel()
                await asyncio.gather(poller, return_exceptions=True)
            await channel.outbox.close(SHUTDOWN_GRACE)
            await pacer.close()


async def set_webhook(settings: Settings, url: str) -> None:
    """Register `url` as the Zalo webhook, with our secret."""
    if not settings.zalo_token or not settings.zalo_secret:
        raise SystemExit("laodong: set LAODONG_ZALO_TOKEN and LAODONG_ZALO_SECRET first")
    if not 8 <= len(settings.zalo_secret) <= 256:
        raise SystemExit("laodong: LAODONG_ZALO_SECRET must be 8 to 256 characters")
    async with aiohttp.ClientSession() as session:
        pacer = Pacer(settings.zalo_rate_per_chat, settings.zalo_rate_overall, LoopClock())
        await ZaloClient(settings, session, pacer).set_webhook(url, settings.zalo_secret)
