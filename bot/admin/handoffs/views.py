"""The handoff inbox: workers who asked for an official, who is answering, and the reply thread."""

from __future__ import annotations

from aiohttp import web

from bot.admin.auth import requires
from bot.admin.context import (
    admin_of,
    audit,
    board_of,
    int_param,
    labels_of,
    render,
    see_other,
    service_of,
    signed_in,
)
from bot.admin.handoffs.reads import ASSIGNED_CHOICES, WAITING, InboxFilter
from bot.admin.views.choices import filter_choices
from bot.appkeys import DELIVERERS
from bot.delivery import Delivery
from bot.store.models import Handoff

routes = web.RouteTableDef()
STATUSES = ("open", "answered", "closed")
MAX_ANSWER_CHARS = 1500
QUOTED_QUESTION_CHARS = 200
TAKEN_MESSAGES = {"taken": "taken", "mine": "taken_already", "other": "taken_by_other", "closed": "handoff_closed"}


def quoted(handoff: Handoff) -> str:
    """The worker's question as a message to them quotes it (shortened)."""
    question = handoff.question
    if len(question) > QUOTED_QUESTION_CHARS:
        question = question[: QUOTED_QUESTION_CHARS - 1] + "…"
    return question


def worker_message(template: str, handoff: Handoff, answer: str) -> str:
    """What the worker receives: their question, quoted, and the official's answer."""
    return template.format(question=quoted(handoff), answer=answer)


def inbox_filter(request: web.Request) -> InboxFilter:
    """The inbox's filter from the query string (what does not parse is dropped)."""
    q = request.query
    status = q.get("status", "open")
    kb = service_of(request).kb
    return InboxFilter(
        status=status if status in STATUSES else "open",
        province=q.get("province") if q.get("province") in kb.provinces else None,
        topic=q.get("topic") or None,
        waiting=q.get("waiting") if q.get("waiting") in WAITING else None,
        assigned=q.get("assigned") if q.get("assigned") in ASSIGNED_CHOICES else None,
        me=signed_in(request).username,
    )


async def _handoff(request: web.Request) -> Handoff:
    found = await board_of(request).handoff(int(request.match_info["id"]))
    if found is None:
        raise web.HTTPNotFound()
    return found


async def _send(request: web.Request, handoff: Handoff, text: str) -> bool:
    """Send a text to the worker behind a handoff on their own channel; True once it went."""
    token = handoff.delivery_address
    address = service_of(request).addresses.decrypt(token) if token else None
    return await request.config_dict[DELIVERERS].send(Delivery(handoff.channel, handoff.user_id, address, text))


@routes.get("/handoffs")
async def inbox(request: web.Request) -> web.StreamResponse:
    """The requests of a status, newest first, a page at a time, with counts and filters."""
    f, board, now = inbox_filter(request), board_of(request), admin_of(request).clock()
    page = await board.inbox(f, now, page=int_param(request.query.get("page")) or 1)
    return render(
        request,
        "handoffs.html",
        page=page,
        f=f,
        counts=await board.handoff_counts(),
        statuses=STATUSES,
        now=now,
        choices=await filter_choices(request),
    )


@routes.get(r"/handoffs/{id:\d+}")
async def handoff_page(request: web.Request) -> web.StreamResponse:
    """One request: who has it, the worker's conversation with the officials' thread, the reply form."""
    handoff = await _handoff(request)
    board = board_of(request)
    convo = await board.conversation(handoff.inquiry_id)
    thread = await board.thread(handoff.id)
    deliverable = request.config_dict[DELIVERERS].get(handoff.channel) is not None
    return render(
        request,
        "handoff.html",
        handoff=handoff,
        convo=convo,
        thread=thread,
        seen=max((r.id for r in thread), default=0),
        answered=any(r.kind == "reply" and r.delivery == "sent" for r in thread),
        deliverable=deliverable,
        max_chars=MAX_ANSWER_CHARS,
    )


@routes.post(r"/handoffs/{id:\d+}/take")
@requires("editor")
async def take(request: web.Request) -> web.StreamResponse:
    """ "Tôi trả lời yêu cầu này": take the request (unless another official has) and tell the worker."""
    handoff = await _handoff(request)
    me = signed_in(request).username
    taken = await board_of(request).take(handoff.id, me, admin_of(request).clock())
    if taken.outcome == "taken":
        kb = service_of(request).kb
        notice = kb.text("handoff_taken").format(question=quoted(handoff))
        if handoff.code:
            notice += "\n" + kb.text("handoff_taken_code").format(code=handoff.code)
        delivered = await _send(request, handoff, notice)
        await board_of(request).record_reply(handoff, notice, notice, me, delivered, close=False, kind="notice")
        await audit(request, "take_handoff", f"handoff:{handoff.id}", delivered=delivered)
    see_other(f"/admin/handoffs/{handoff.id}", TAKEN_MESSAGES[taken.outcome])


@routes.post(r"/handoffs/{id:\d+}/release")
@requires("editor")
async def release(request: web.Request) -> web.StreamResponse:
    """Give a request one took back to the shared inbox."""
    handoff = await _handoff(request)
    if await board_of(request).release(handoff.id, signed_in(request).username):
        await audit(request, "release_handoff", f"handoff:{handoff.id}")
        see_other(f"/admin/handoffs/{handoff.id}", "released")
    see_other(f"/admin/handoffs/{handoff.id}")


@routes.post(r"/handoffs/{id:\d+}/reply")
@requires("editor")
async def reply(request: web.Request) -> web.StreamResponse:
    """Send the official's answer on the worker's own channel and keep it in the thread; close the
    request too unless the official keeps it open. A reply to a request closed meanwhile is not sent,
    and the official is told so; replies that crossed are both sent, and the later writer is told."""
    handoff, form = await _handoff(request), await request.post()
    here = f"/admin/handoffs/{handoff.id}"
    me = signed_in(request).username
    answer = str(form.get("answer", "")).strip()[:MAX_ANSWER_CHARS]
    if not answer:
        see_other(here, "reply_empty")
    board = board_of(request)
    if handoff.status != "open":
        await board.keep_unsent(handoff, answer, me)
        await audit(request, "reply", f"handoff:{handoff.id}", channel=handoff.channel, delivered=False, late=True)
        see_other(here, "reply_too_late")
    seen = int_param(str(form.get("seen", "")))
    crossed = seen is not None and any(
        r.id > seen and r.kind == "reply" and r.author != me for r in await board.thread(handoff.id)
    )
    text = worker_message(str(labels_of(request).data["official_reply"]), handoff, answer)
    delivered = await _send(request, handoff, text)
    keep_open = form.get("then") == "open"
    await board.record_reply(handoff, text, answer, me, delivered, close=not keep_open)
    await audit(request, "reply", f"handoff:{handoff.id}", channel=handoff.channel, delivered=delivered)
    if not delivered:
        see_other(here, "reply_failed")
    see_other(here, "replied_also" if crossed else "replied_open" if keep_open else "replied")


@routes.post(r"/handoffs/{id:\d+}/close")
@requires("editor")
async def close(request: web.Request) -> web.StreamResponse:
    """Close a request (answered if a reply reached the worker); its delivery address is erased."""
    handoff = await _handoff(request)
    if await board_of(request).close_handoff(handoff.id, signed_in(request).username):
        await audit(request, "close_handoff", f"handoff:{handoff.id}")
    see_other("/admin/handoffs", "closed")
