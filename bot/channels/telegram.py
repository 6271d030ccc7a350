"""Telegram through python-telegram-bot 22: updates in by webhook (or polling), replies out with
inline keyboards. The PTB Application runs inside our aiohttp app, built with `.updater(None)`
for webhooks; its handlers parse, hand the message to the core, and queue the reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import lru_cache
from typing import Any

from aiohttp import web
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, TypeHandler, filters

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
from bot.channels.ratelimit import Clock, LoopClock, make_pacer
from bot.channels.render import TELEGRAM_TEXT_LIMIT, OutgoingMessage, split_text, telegram_html, telegram_messages
from bot.channels.telegram_http import BROADCAST, AiohttpRequest, TelegramRateLimiter, telegram_retry_after
from bot.privacy import load_or_create_key
from bot.redis_link import RedisLink
from bot.service import BotService, IncomingMessage
from bot.settings import Settings
from knowledge.model import load_knowledge

log = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
COMMANDS = ("start", "help", "tinh", "nguoi", "xoa", "dangky", "huy", "ma")
SHUTDOWN_GRACE = 10.0
KEYBOARDS_KEPT = 256  # inline keyboards built once and reused (menus, 👍/👎, the handoff offer …)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]
Context = ContextTypes.DEFAULT_TYPE


def message_kind(message: Message) -> str:
    """What a message holds, in the core's terms (text, sticker, image, voice, video, file, …)."""
    if message.text is not None or message.caption:
        return "text"
    if message.sticker:
        return "sticker"
    if message.photo:
        return "image"
    if message.voice or message.audio:
        return "voice"
    if message.video or message.video_note or message.animation:
        return "video"
    if message.document:
        return "file"
    if message.location or message.venue:
        return "location"
    return "other"


def incoming_message(update: Update) -> tuple[IncomingMessage, int] | None:
    """The core's message for a private message or button press, and the chat to answer in."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return None
    external_id = str(update.update_id)
    if update.callback_query is not None:
        data = update.callback_query.data or ""
        msg = IncomingMessage(
            channel=CHANNEL, user_ref=str(user.id), kind="button", payload=data[:64], external_id=external_id
        )
        return msg, chat.id
    message = update.message
    if message is None:
        return None
    text = message.text if message.text is not None else (message.caption or "")
    msg = IncomingMessage(
        channel=CHANNEL, user_ref=str(user.id), text=text, kind=message_kind(message), external_id=external_id
    )
    return msg, chat.id


def stored_keyboard(rows: list[list[list[str]]]) -> InlineKeyboardMarkup | None:
    """The inline keyboard of a stored message (rows of [label, callback data]); the same rows give
    the same keyboard, built once (PTB's objects are frozen, so one can go with many messages)."""
    if not rows:
        return None
    return _keyboard(tuple(tuple((str(text), str(data)) for text, data in r) for r in rows))


@lru_cache(maxsize=KEYBOARDS_KEPT)
def _keyboard(rows: tuple[tuple[tuple[str, str], ...], ...]) -> InlineKeyboardMarkup:
    """Labels are the knowledge base's and the licensed list's, never a worker's text."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in r] for r in rows])


def stored_message(message: OutgoingMessage, source_prefix: str) -> dict[str, Any]:
    """One message as the outbox keeps it: HTML text, parse mode, keyboard rows of [label, data]."""
    return {
        "text": telegram_html(message.text, source_prefix),
        "parse_mode": ParseMode.HTML.value,
        "keyboard": [[[b.label, b.data] for b in row] for row in message.keyboard],
    }


class TelegramChannel:
    """The PTB handlers: each parses an update, lets the core answer, and queues the reply."""

    def __init__(
        self,
        service: BotService,
        application: TelegramApp,
        secret: str | None,
        stats: ChannelStats,
        outbox_lease: float = 60.0,
    ):
        self.service = service
        self.application = application
        self.secret = secret
        self.stats = stats
        self.conversations = Conversations(service, stats)
        self.outbox = Outbox(service, stats, CHANNEL)
        self.outbox_lease = outbox_lease
        self._in_flight: Counter[int] = Counter()  # webhook updates being processed
        self._failed: set[int] = set()  # … of which a handler failed
        self._starting = asyncio.Lock()
        # New messages in private chats; service messages (timer changes, pins…) are not for the core.
        sent_by_people = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL
        application.add_handler(MessageHandler(sent_by_people, self.on_message))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(TypeHandler(Update, self.on_other))
        application.add_error_handler(self.on_error)

    async def on_message(self, update: Update, context: Context) -> None:
        """Answer a private message: a question, a command, or something the bot cannot read."""
        await self._converse(update)

    async def on_button(self, update: Update, context: Context) -> None:
        """Stop the button's spinner, then answer the press."""
        query = update.callback_query
        assert query is not None
        self.outbox.spawn(query.answer())
        await self._converse(update)

    async def on_other(self, update: Update, context: Context) -> None:
        """Count an update the bot does not handle (edits, group messages, member changes…)."""
        self.stats.count("ignored")

    async def on_error(self, update: object, context: Context) -> None:
        """Log a failed update by id only, and let the webhook ask Telegram to deliver it again."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram update %s failed", update_id, exc_info=context.error)
        self.stats.count("error")
        if update_id is not None and update_id in self._in_flight:
            self._failed.add(update_id)

    async def _converse(self, update: Update) -> None:
        parsed = incoming_message(update)
        if parsed is None:
            self.stats.count("ignored")
            return
        msg, chat_id = parsed
        msg = replace(msg, reply_to=str(chat_id))
        handled = await self.conversations.receive(msg, self.render, self.outbox_lease)
        if handled is None:
            return
        messages = handled.messages or []
        if not messages:
            self.stats.count(NOTHING)  # recorded with the inquiry
            return
        self.outbox.deliver(
            handled.inquiry_id, self.send_stored(str(chat_id), messages), handled.queued, msg.external_id
        )

    def render(self, reply: Reply) -> list[dict[str, Any]]:
        """A reply as it will be sent (HTML text, keyboard), to keep in the outbox until it is."""
        prefix = self.service.kb.text("source_prefix")
        return [stored_message(m, prefix) for m in telegram_messages(reply, self.service.kb)]

    async def send_stored(self, chat_id: str, messages: list[dict[str, Any]]) -> None:
        """Send one reply's messages in order (paced, and retried after a 429, by the rate limiter)."""
        for message in messages:
            await self.application.bot.send_message(
                chat_id=int(chat_id),
                text=message["text"],
                parse_mode=message.get("parse_mode"),
                reply_markup=stored_keyboard(message.get("keyboard") or []),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )

    async def send(self, chat_id: int, messages: list[OutgoingMessage]) -> None:
        """Send one reply's messages in order (paced, and retried after a 429, by the rate limiter)."""
        prefix = self.service.kb.text("source_prefix")
        await self.send_stored(str(chat_id), [stored_message(m, prefix) for m in messages])

    async def send_text(self, chat_id: str, text: str) -> None:
        """Send plain text (an official's reply) to a chat, split at 4096 characters."""
        await self.send(int(chat_id), [OutgoingMessage(chunk) for chunk in split_text(text, TELEGRAM_TEXT_LIMIT)])

    async def send_announcement(self, chat_id: str, text: str) -> None:
        """Send one announcement behind every waiting reply (bot/announce/sender.py): Blocked when
        the worker blocked the bot, RetryLater after a 429 (every send held back meanwhile) or a
        network failure."""
        from telegram.error import Forbidden

        if not await self.ready():
            raise RetryLater(DEFAULT_RETRY)
        try:
            await self.application.bot.send_message(
                chat_id=int(chat_id),
                text=text[:TELEGRAM_TEXT_LIMIT],
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                rate_limit_args=BROADCAST,
            )
        except Forbidden:
            raise Blocked(chat_id) from None
        except Exception as exc:
            wait = telegram_retry_after(exc)
            if wait is not None:
                raise RetryLater(wait) from None
            if transient(exc):
                raise RetryLater(DEFAULT_RETRY) from None
            raise

    async def pump(self) -> int:
        """Send the durable replies no process is sending (after a crash, or to try again)."""
        if not self.application.running:  # started by the next webhook update (ready())
            return 0
        return await self.outbox.pump(self.send_stored, self.outbox_lease)

    async def ready(self) -> bool:
        """Start PTB if it is not running (it asks getMe first); False while Telegram cannot be reached."""
        if self.application.running:
            return True
        async with self._starting:
            if not self.application.running:
                try:
                    await self.application.initialize()
                    await self.application.start()
                except Exception as exc:
                    log.error("Telegram is not reachable yet: %s", type(exc).__name__)
                    return False
        return True

    async def process(self, update: Update) -> bool:
        """Run one webhook update through the handlers; False if it failed and should be delivered again."""
        update_id = update.update_id
        self._in_flight[update_id] += 1
        try:
            await self.application.process_update(update)
        finally:
            self._in_flight[update_id] -= 1
            if not self._in_flight[update_id]:
                del self._in_flight[update_id]
        if update_id not in self._failed:
            return True
        if update_id not in self._in_flight:
            self._failed.discard(update_id)
        return False


async def webhook(request: web.Request, channel: TelegramChannel | None, guard: SecretGuard) -> web.Response:
    """Take one update from Telegram: check the secret, parse, answer (the reply goes out after)."""
    body = await webhook_body(request, channel, SECRET_HEADER, guard)
    if isinstance(body, web.Response):
        return body
    assert channel is not None  # webhook_body answered 404 otherwise
    if not isinstance(body.get("update_id"), int):
        channel.stats.count("malformed")
        return web.json_response({"ok": False, "error": "not a Telegram update"}, status=400)
    if not await channel.ready():
        return web.json_response({"ok": False, "error": "Telegram not reachable"}, status=503)
    try:
        update = Update.de_json(body, channel.application.bot)
    except (KeyError, TypeError, ValueError, AttributeError):
        channel.stats.count("malformed")
        return web.json_response({"ok": False, "error": "not a Telegram update"}, status=400)
    if not await channel.process(update):
        return web.json_response({"ok": False, "error": "try again"}, status=500)
    return web.json_response({"ok": True})


def build_application(
    settings: Settings, clock: Clock, polling: bool = False, redis: RedisLink | None = None
) -> TelegramApp:
    """The PTB Application for our token and Bot API root, with our rate limiter (its slots shared
    through `redis`, if given); no Updater for webhooks."""
    assert settings.telegram_token
    api = settings.telegram_api_url.rstrip("/")
    # PTB logs every Bot API call's parameters and answer (messages' text) at DEBUG: never.
    for name in ("telegram.Bot", "telegram.ext.ExtBot"):
        logging.getLogger(name).setLevel(logging.INFO)
    pacer = make_pacer(
        settings.telegram_rate_per_chat,
        settings.telegram_rate_overall,
        clock,
        redis,
        f"{settings.redis_prefix}telegram:",
        load_or_create_key(settings.hash_key, settings.data_dir),  # chat ids hashed in Redis key names
    )
    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(TelegramRateLimiter(pacer, settings.send_retries))
        .request(AiohttpRequest())
    )
    if not polling:
        builder = builder.updater(None)
    return builder.build()


@asynccontextmanager
async def running(
    settings: Settings, service: BotService, clock: Clock, stats: ChannelStats, redis: RedisLink | None = None
) -> AsyncIterator[TelegramChannel]:
    """Run the Telegram channel for the life of the web app: webhook, or polling if asked."""
    application = build_application(settings, clock, polling=settings.telegram_polling, redis=redis)
    channel = TelegramChannel(service, application, settings.telegram_secret, stats, settings.outbox_lease_seconds)
    if settings.telegram_polling:
        await application.initialize()
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
    await channel.ready()
    pumping = pump_outbox(channel.pump, settings.outbox_poll_seconds)
    try:
        yield channel
    finally:
        await stop(pumping)
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await channel.outbox.close(SHUTDOWN_GRACE)
        await application.shutdown()


async def set_webhook(settings: Settings, url: str) -> None:
    """Register `url` as the webhook, with our secret, and the bot's command menu."""
    if not settings.telegram_token or not settings.telegram_secret:
        raise SystemExit("laodong: set LAODONG_TELEGRAM_TOKEN and LAODONG_TELEGRAM_SECRET first")
    descriptions = load_knowledge().responses["telegram_commands"]
    application = build_application(settings, LoopClock())
    async with application.bot as bot:
        await bot.set_webhook(url, secret_token=settings.telegram_secret, allowed_updates=ALLOWED_UPDATES)
        await bot.set_my_commands([BotCommand(name, str(descriptions[name])) for name in COMMANDS])
