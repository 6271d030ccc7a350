"""A fake Telegram Bot API: answers what the bot calls and records it (getMe, sendMessage, …)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from aiohttp import web

from tests.fakes.limits import telegram_refusal
from tests.fakes.server import FakeBotApi

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Trợ lý Lao động", "username": "trolaodong_bot"}


def too_many_requests(retry_after: int) -> dict[str, Any]:
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }


class FakeTelegram(FakeBotApi):
    """Telegram's Bot API, as far as laodong uses it; refuses what Telegram would (tests/fakes/limits.py)."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__(token)
        self._message_ids = itertools.count(1)

    async def params(self, request: web.Request) -> dict[str, Any]:
        """PTB posts form fields whose objects (reply_markup, …) are JSON strings."""
        if request.content_type == "application/json":
            return dict(await request.json())
        params: dict[str, Any] = {}
        for key, value in (await request.post()).items():
            text = str(value)
            try:
                params[key] = json.loads(text) if text[:1] in "[{" else text
            except ValueError:
                params[key] = text
        return params

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The messages the bot sent and Telegram took (sendMessage parameters), in order."""
        return self.accepted("sendMessage")

    async def answer(self, method: str, params: dict[str, Any]) -> web.Response:
        if method == "getMe":
            return ok(BOT_USER)
        if method == "sendMessage":
            refusal = telegram_refusal(params)
            if refusal is not None:
                self.refused.append((refusal, params))
                return web.json_response({"ok": False, "error_code": 400, "description": refusal}, status=400)
            chat = {"id": int(params["chat_id"]), "type": "private", "first_name": "Lan"}
            message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat}
            return ok({**message, "text": params.get("text", "")})
        if method == "getUpdates":
            update = await self.next_update(float(params.get("timeout", 0) or 0))
            return ok([update] if update else [])
        if method in ("answerCallbackQuery", "setWebhook", "deleteWebhook", "setMyCommands"):
            return ok(True)
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)


def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def private_chat(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "Lan"}


def sender(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Lan", "language_code": "vi"}


def text_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A private text message, as Telegram posts it to the webhook."""
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": 1_760_000_000,
        "chat": private_chat(user_id),
        "from": sender(user_id),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ")[0])}]
    return {"update_id": update_id, "message": message}


def button_update(update_id: int, user_id: int, data: str) -> dict[str, Any]:
    """A press on an inline keyboard button under one of the bot's messages."""
    bot_message = {"message_id": 1, "date": 1_760_000_000, "chat": private_chat(user_id), "text": "…"}
    query = {
        "id": f"cq{update_id}",
        "from": sender(user_id),
        "chat_instance": "ci1",
        "message": {**bot_message, "from": BOT_USER},
        "data": data,
    }
    return {"update_id": update_id, "callback_query": query}
