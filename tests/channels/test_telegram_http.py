"""PTB's Bot API calls over aiohttp: what reaches the server, and how failures surface to PTB."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot, InputFile
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram_http import AiohttpRequest, telegram_retry_after

TOKEN = "123:fake"


async def api(handler: Any) -> TestServer:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_a_message_goes_out_form_encoded_and_its_answer_is_read() -> None:
    seen: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.Response:
        if request.path.endswith("/getMe"):  # Bot() asks who it is first
            return web.json_response({"ok": True, "result": {"id": 123, "is_bot": True, "first_name": "Bot"}})
        seen.append({"path": request.path, **dict(await request.post())})
        message = {"message_id": 5, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "Xin chào"}
        return web.json_response({"ok": True, "result": message})

    server = await api(handler)
    try:
        async with Bot(TOKEN, base_url=f"{server.make_url('/bot')}", request=AiohttpRequest()) as bot:
            sent = await bot.send_message(chat_id=42, text="Xin chào", parse_mode="HTML")
    finally:
        await server.close()
    assert sent.message_id == 5 and sent.text == "Xin chào"
    assert seen[-1]["path"] == f"/bot{TOKEN}/sendMessage"
    assert seen[-1]["chat_id"] == "42" and seen[-1]["text"] == "Xin chào" and seen[-1]["parse_mode"] == "HTML"


async def test_a_429_becomes_retry_after_for_the_rate_limiter() -> None:
    async def handler(request: web.Request) -> web.Response:
        body = {"ok": False, "error_code": 429, "description": "Too Many Requests", "parameters": {"retry_after": 3}}
        return web.json_response(body, status=429)

    server = await api(handler)
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(RetryAfter) as caught:
            await request.post(f"{server.make_url('/bot')}{TOKEN}/sendMessage")
    finally:
        await request.shutdown()
        await server.close()
    assert telegram_retry_after(caught.value) == 3.0  # what the pacer waits before trying again


async def test_a_silent_server_times_out_and_a_closed_port_is_a_network_error() -> None:
    never = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        await never.wait()
        raise AssertionError("unreachable")

    server = await api(handler)
    request = AiohttpRequest(read_timeout=0.05)
    await request.initialize()
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    try:
        with pytest.raises(TimedOut):
            await request.post(f"{server.make_url('/bot')}{TOKEN}/getMe")
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{closed}/bot{TOKEN}/getMe")
    finally:
        never.set()
        await request.shutdown()
        await server.close()


async def test_a_file_goes_as_multipart() -> None:
    got: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["document"]
        assert isinstance(upload, web.FileField)
        got.update(chat_id=form["chat_id"], name=upload.filename, content=upload.file.read())
        return web.json_response({"ok": True, "result": True})

    server = await api(handler)
    request = AiohttpRequest()
    await request.initialize()
    data = RequestData(
        [
            RequestParameter.from_input("chat_id", 7),
            RequestParameter.from_input("document", InputFile(b"QR", filename="qr.png", attach=False)),
        ]
    )
    try:
        assert await request.post(f"{server.make_url('/bot')}{TOKEN}/sendDocument", data) is True
    finally:
        await request.shutdown()
        await server.close()
    assert got == {"chat_id": "7", "name": "qr.png", "content": b"QR"}


async def test_it_refuses_to_send_before_initialize() -> None:
    with pytest.raises(RuntimeError):
        await AiohttpRequest().do_request("http://127.0.0.1:9/", "GET")
