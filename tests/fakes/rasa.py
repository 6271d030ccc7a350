"""A fake Rasa server on 127.0.0.1: `POST /model/parse` with Rasa 3.6's answer shape, scripted failures."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

RETRIEVAL = "faq"


def parse_result(text: str, intent: str, entry: str | None = None, confidence: float = 0.9) -> dict[str, Any]:
    """What Rasa 3.6 answers for one message: DIET's intents, the ResponseSelector's entries."""
    others = [i for i in ("greet", "out_of_scope", "thanks", RETRIEVAL) if i != intent]
    rest = (1 - confidence) / len(others)
    ranking = [{"name": intent, "confidence": confidence}] + [{"name": o, "confidence": rest} for o in others]
    result: dict[str, Any] = {
        "text": text,
        "intent": ranking[0],
        "entities": [],
        "intent_ranking": ranking,
        "response_selector": {"all_retrieval_intents": [RETRIEVAL], "default": {}},
    }
    if entry is not None:
        key = f"{RETRIEVAL}/{entry}"
        result["response_selector"][RETRIEVAL] = {
            "response": {"intent_response_key": key, "confidence": 0.95, "utter_action": f"utter_{key}"},
            "ranking": [
                {"id": 1, "intent_response_key": key, "confidence": 0.95},
                {"id": 2, "intent_response_key": f"{RETRIEVAL}/no_such_entry", "confidence": 0.05},
            ],
        }
    return result


class FakeRasa:
    """Answers from a table of text → (intent, entry); `mode` makes it hang or fail instead."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.answers: dict[str, tuple[str, str | None]] = {}
        self.mode = "ok"  # ok, hang, error
        self.calls: list[dict[str, Any]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/model/parse", self._parse)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def close(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _parse(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append({"token": request.query.get("token"), **body})
        if request.query.get("token") != self.token:
            return web.json_response({"status": "failure", "reason": "NotAuthorized"}, status=401)
        if self.mode == "hang":  # slower than any client's patience, until the test ends
            await self._release.wait()
        if self.mode == "error":
            return web.json_response({"status": "failure", "reason": "ModelNotReady"}, status=409)
        intent, entry = self.answers.get(body["text"], ("out_of_scope", None))
        return web.json_response(parse_result(body["text"], intent, entry))
