"""Unanswered questions, grouped by similarity: link a group to an entry, or mark it handled."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from aiohttp import web

from bot.admin.auth import requires
from bot.admin.context import admin_of, audit, board_of, int_param, render, see_other, service_of, signed_in
from bot.admin.grouping import QuestionGroup, group_questions
from bot.admin.kbedit import KnowledgeEditError, add_examples
from bot.service import BotService
from bot.web.app import FOLLOWER

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
DEFAULT_DAYS, MAX_DAYS = 90, 3650
SHOWN_GROUPS = 50
SUGGESTED_GROUPS = 20
SUGGEST_SECONDS = 3.0
MAX_IDS = 1000
HERE = "/admin/unanswered"


async def suggestions(service: BotService, groups: list[QuestionGroup]) -> list[list[str]]:
    """The entries the engine ranks highest for each group's main wording (the first groups only;
    none if the engine is slow or fails: a suggestion is a convenience, the editor still chooses)."""
    texts = [g.representative for g in groups[:SUGGESTED_GROUPS]]
    try:
        found = await asyncio.wait_for(asyncio.gather(*(service.engine.parse(t) for t in texts)), SUGGEST_SECONDS)
    except Exception:
        return []
    return [[str(c.entry) for c in understanding.entries()[:3]] for understanding in found]


def form_ids(value: object) -> list[int]:
    """The inquiry ids a group's form carries ("1,2,3")."""
    text = value if isinstance(value, str) else ""
    return sorted({int(p) for p in text.split(",") if p.strip().isdigit()})[:MAX_IDS]


@routes.get("/unanswered")
async def unanswered(request: web.Request) -> web.StreamResponse:
    """What the bot could not answer in the last N days, grouped, biggest group first."""
    days = min(max(int_param(request.query.get("days")) or DEFAULT_DAYS, 1), MAX_DAYS)
    since = admin_of(request).clock() - dt.timedelta(days=days)
    groups = await asyncio.to_thread(group_questions, await board_of(request).unanswered(since=since))
    service = service_of(request)
    shown = groups[:SHOWN_GROUPS]
    entries = sorted(service.kb.entries.values(), key=lambda e: (e.topic, e.scope, e.title))
    return render(
        request,
        "unanswered.html",
        days=days,
        groups=shown,
        total=len(groups),
        suggested=await suggestions(service, shown),
        entries=entries,
        kb=service.kb,
    )


@routes.post("/unanswered/link")
@requires("editor")
async def link(request: web.Request) -> web.StreamResponse:
    """Make a group's questions examples of an entry: a new published version, which this process
    (and every other, bot/kbfollow.py) then serves."""
    form = await request.post()
    service, entry_id = service_of(request), str(form.get("entry", ""))
    texts = await board_of(request).unanswered_texts(form_ids(form.get("ids")))
    if not texts or entry_id not in service.kb.entries:
        see_other(HERE, "nothing_selected" if not texts else "link_failed")
    async with admin_of(request).kb_lock:
        try:
            added = await add_examples(service.store, entry_id, [t for _i, t in texts], signed_in(request).username)
        except KnowledgeEditError:
            log.exception("could not add examples to %s", entry_id)
            see_other(HERE, "link_failed")
        if added.questions:
            await request.config_dict[FOLLOWER].check()
    await board_of(request).review([i for i, _t in texts], "linked", entry_id, signed_in(request).username)
    detail = {"inquiries": len(texts), "added": added.questions, "version": added.version}
    await audit(request, "link_group", f"entry:{entry_id}", **detail)
    see_other(HERE, "linked" if added.questions else "linked_none")


@routes.post("/unanswered/handled")
@requires("editor")
async def handled(request: web.Request) -> web.StreamResponse:
    """Mark a group handled (it leaves the list; the log keeps the questions)."""
    form = await request.post()
    marked = await board_of(request).review(form_ids(form.get("ids")), "handled", None, signed_in(request).username)
    await audit(request, "mark_handled", None, inquiries=marked)
    see_other(HERE, "handled" if marked else "nothing_selected")
