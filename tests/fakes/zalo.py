"""A fake Zalo Bot Platform API: JSON in, `{ok, result}` out, and a record of what the bot sent."""

from __future__ import annotations

import itertools
import time
from typing import Any

from aiohttp import web

from tests.fakes.limits import zalo_refusal
from tests.fakes.server import FakeBotApi

TOKEN = "1234567890:zalo-TEST-token"


def too_many_requests(retry_after: int) -> dict[str, Any]:
    return {
        "ok": False,
        "error_code": 429,
        "description": "Too many requests",
        "parameters": {"retry_after": retry_after},
    }


class FakeZalo(FakeBotApi):
    """Zalo's Bot API, as far as laodong uses it (getUpdates returns one event at a time); refuses
    what Zalo would (tests/fakes/limits.py)."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__(token)
        self._message_ids = itertools.count(1)

    async def params(self, request: web.Request) -> dict[str, Any]:
        body = await request.json() if request.can_read_body else {}
        return dict(body)

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The messages the bot sent and Zalo took (sendMessage parameters), in order."""
        return self.accepted("sendMessage")

    async def answer(self, method: str, params: dict[str, Any]) -> web.Response:
        if method == "getMe":
            return ok({"id": "987", "account_name": "bot.trolaodong", "display_name": "Trợ lý Lao động"})
        if method == "sendMessage":
            refusal = zalo_refusal(params)
            if refusal is not None:
                self.refused.append((refusal, params))
                return web.json_response({"ok": False, "error_code": 400, "description": refusal})
            return ok({"message_id": f"bot-{next(self._message_ids)}", "date": int(time.time() * 1000)})
        if method == "getUpdates":
            update = await self.next_update(float(params.get("timeout", 0) or 0))
            if update is None:
                return web.json_response({"ok": False, "error_code": 408, "description": "Request timeout"})
            return ok(update)
        if method == "setWebhook":
            return ok({"url": params.get("url"), "updated_at": int(time.time() * 1000)})
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)


def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def text_event(message_id: str, user_id: str, text: str, chat_type: str = "PRIVATE") -> dict[str, Any]:
    """A text message event, flat, as the Zalo webhook posts it."""
    return {
        "event_name": "message.text.received",
        "message": {
            "message_id": message_id,
            "date": 1_760_000_000_000,
            "text": text,
            "from": {"id": user_id, "display_name": "Lan", "is_bot": False},
            "chat": {"id": user_id, "chat_type": chat_type},
        },
    }


def wrapped(event: dict[str, Any]) -> dict[str, Any]:
    """The same event in the `{ok, result}` envelope (getUpdates' shape, which some webhooks use)."""
    return {"ok": True, "result": event}
