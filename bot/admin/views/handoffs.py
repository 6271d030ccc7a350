"""The handoff inbox: workers who asked for an official, and the officials' replies."""

from __future__ import annotations

from aiohttp import web

from bot.admin.auth import requires
from bot.admin.context import admin_of, audit, board_of, labels_of, render, see_other, service_of, signed_in
from bot.admin.delivery import DELIVERERS, Delivery
from bot.store.models import Handoff

routes = web.RouteTableDef()
STATUSES = ("open", "answered", "closed")
MAX_ANSWER_CHARS = 1500
QUOTED_QUESTION_CHARS = 200


def worker_message(template: str, handoff: Handoff, answer: str) -> str:
    """What the worker receives: their question, quoted, and the official's answer."""
    question = handoff.question
    if len(question) > QUOTED_QUESTION_CHARS:
        question = question[: QUOTED_QUESTION_CHARS - 1] + "…"
    return template.format(question=question, answer=answer)


async def _handoff(request: web.Request) -> Handoff:
    found = await board_of(request).handoff(int(request.match_info["id"]))
    if found is None:
        raise web.HTTPNotFound()
    return found


@routes.get("/handoffs")
async def inbox(request: web.Request) -> web.StreamResponse:
    """Open requests (who waited longest first), or answered and closed ones."""
    status = request.query.get("status", "open")
    status = status if status in STATUSES else "open"
    rows = await board_of(request).handoffs(status)
    return render(request, "handoffs.html", rows=rows, current=status, statuses=STATUSES, now=admin_of(request).clock())


@routes.get(r"/handoffs/{id:\d+}")
async def handoff_page(request: web.Request) -> web.StreamResponse:
    """One request with the worker's conversation and the reply form."""
    handoff = await _handoff(request)
    convo = await board_of(request).conversation(handoff.inquiry_id)
    registry = request.config_dict[DELIVERERS]
    deliverable = registry.get(handoff.channel) is not None
    return render(
        request, "handoff.html", handoff=handoff, convo=convo, deliverable=deliverable, max_chars=MAX_ANSWER_CHARS
    )


@routes.post(r"/handoffs/{id:\d+}/reply")
@requires("editor")
async def reply(request: web.Request) -> web.StreamResponse:
    """Send the official's answer on the worker's own channel and keep it in the conversation."""
    handoff, form = await _handoff(request), await request.post()
    here = f"/admin/handoffs/{handoff.id}"
    answer = str(form.get("answer", "")).strip()[:MAX_ANSWER_CHARS]
    if not answer or handoff.status != "open":
        see_other(here, "reply_empty" if not answer else None)
    text = worker_message(str(labels_of(request).data["official_reply"]), handoff, answer)
    token = handoff.delivery_address
    address = service_of(request).addresses.decrypt(token) if token else None
    delivered = await request.config_dict[DELIVERERS].send(Delivery(handoff.channel, handoff.user_id, address, text))
    await board_of(request).record_reply(handoff, text, answer, signed_in(request).username, delivered)
    await audit(request, "reply", f"handoff:{handoff.id}", channel=handoff.channel, delivered=delivered)
    see_other(here, "replied" if delivered else "reply_failed")


@routes.post(r"/handoffs/{id:\d+}/close")
@requires("editor")
async def close(request: web.Request) -> web.StreamResponse:
    """Close a request without a reply (its delivery address is erased)."""
    handoff = await _handoff(request)
    if await board_of(request).close_handoff(handoff.id):
        await audit(request, "close_handoff", f"handoff:{handoff.id}")
    see_other("/admin/handoffs", "closed")
