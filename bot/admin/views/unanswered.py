"""Unanswered questions, grouped by what they are about: select questions one by one (or a whole
group), link them to an entry, mark them handled or off-topic; off-topic noise sorts last."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from bot.admin.auth import requires
from bot.admin.context import admin_of, audit, board_of, int_param, render, see_other, service_of, signed_in
from bot.admin.curation import TeachError, teach
from bot.admin.grouping import Question, QuestionGroup, group_questions
from bot.appkeys import FOLLOWER
from bot.service import BotService

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
DEFAULT_DAYS, MAX_DAYS = 90, 3650
SHOWN_GROUPS = 50
QUEUE_PAGE = 500  # unanswered questions grouped on one page, the newest first; "older" pages the rest
SUGGESTED_GROUPS = 20
SUGGESTED_WORDINGS = 4  # the wordings of a group whose candidates are added up
SUGGEST_SECONDS = 3.0
MAX_IDS = 1000
HERE = "/admin/unanswered"
NOISE_CHOICES = ("last", "hide", "only")  # off-topic groups: after the others, hidden, alone


async def suggestions(service: BotService, groups: Sequence[QuestionGroup]) -> list[list[str]]:
    """For each of the first groups, the entries the engine ranks highest across its most frequent
    wordings (scores added up, so one odd wording does not decide); none for off-topic groups, and
    none at all if the engine is slow or fails: a suggestion is a convenience, the editor chooses."""
    first = groups[:SUGGESTED_GROUPS]
    asked = [(i, q) for i, g in enumerate(first) if not g.noise for q in g.keys[:SUGGESTED_WORDINGS]]
    memo = (id(service.engine), len(first), tuple(asked))
    if memo in _SUGGESTED and _SUGGESTED[memo][0] is service.engine:  # the same queue, the same engine
        return _SUGGESTED[memo][1]
    found_for = await _suggest(service, asked, len(first))
    if found_for:
        if len(_SUGGESTED) >= 8:
            _SUGGESTED.clear()
        _SUGGESTED[memo] = (service.engine, found_for)
    return found_for


_SUGGESTED: dict[tuple[int, int, tuple[tuple[int, str], ...]], tuple[object, list[list[str]]]] = {}


async def _suggest(service: BotService, asked: list[tuple[int, str]], groups: int) -> list[list[str]]:
    try:
        found = await asyncio.wait_for(asyncio.gather(*(service.engine.parse(q) for _i, q in asked)), SUGGEST_SECONDS)
    except Exception:
        return []
    scores: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (i, _q), understanding in zip(asked, found, strict=True):
        for c in understanding.entries()[:3]:
            if c.entry is not None:
                scores[i][str(c.entry)] += c.score
    return [[e for e, _s in sorted(scores[i].items(), key=lambda kv: (-kv[1], kv[0]))[:3]] for i in range(groups)]


def form_ids(form: MultiMapping[Any]) -> list[int]:
    """The inquiry ids the form carries: every checked question ("1,2,3" each), at most MAX_IDS."""
    found: set[int] = set()
    for value in form.getall("ids", []):
        text = value if isinstance(value, str) else ""
        found.update(int(p) for p in text.split(",") if p.strip().isdigit())
    return sorted(found)[:MAX_IDS]


@lru_cache(maxsize=4)
def grouped(questions: tuple[Question, ...]) -> list[QuestionGroup]:
    """The groups of these questions; the same queue again (a reload, another official) is not
    grouped twice. Linking or marking questions changes the queue, so it is grouped afresh."""
    return group_questions(questions)


def arrange(groups: list[QuestionGroup], noise: str) -> list[QuestionGroup]:
    """Off-topic groups after the others (stable: biggest first within each), hidden, or alone."""
    if noise == "hide":
        return [g for g in groups if not g.noise]
    if noise == "only":
        return [g for g in groups if g.noise]
    return sorted(groups, key=lambda g: g.noise)


@routes.get("/unanswered")
async def unanswered(request: web.Request) -> web.StreamResponse:
    """What the bot could not answer in the last N days, a page of questions at a time (the newest
    first; only the page is grouped), grouped, biggest group first."""
    days = min(max(int_param(request.query.get("days")) or DEFAULT_DAYS, 1), MAX_DAYS)
    asked = request.query.get("noise", "last")
    noise = asked if asked in NOISE_CHOICES else "last"
    before = int_param(request.query.get("before"))
    since = admin_of(request).clock() - dt.timedelta(days=days)
    found = await board_of(request).unanswered(since=since, limit=QUEUE_PAGE + 1, before=before)
    questions = tuple(found[:QUEUE_PAGE])
    groups = await asyncio.to_thread(grouped, questions)
    service = service_of(request)
    shown = arrange(groups, noise)[:SHOWN_GROUPS]
    entries = sorted(service.kb.entries.values(), key=lambda e: (e.topic, e.scope, e.title))
    return render(
        request,
        "unanswered.html",
        days=days,
        noise=noise,
        before=before,
        older=min(q.id for q in questions) if len(found) > QUEUE_PAGE else None,
        groups=shown,
        total=len(groups),
        queued=len(questions),
        noisy=sum(g.noise for g in groups),
        suggested=await suggestions(service, shown),
        entries=entries,
        kb=service.kb,
    )


def back(form: MultiMapping[Any]) -> dict[str, str | None]:
    """The queue as the editor had it (period, noise choice, page), for the redirect's query."""
    days, noise, before = (str(form.get(name, "")) for name in ("days", "noise", "before"))
    return {
        "days": days if days.isdigit() else None,
        "noise": noise if noise in NOISE_CHOICES else None,
        "before": before if before.isdigit() else None,
    }


@routes.post("/unanswered/link")
@requires("editor")
async def link(request: web.Request) -> web.StreamResponse:
    """Make the selected questions examples of an entry; the bot answers them from now on."""
    form = await request.post()
    here = back(form)
    service, entry_id = service_of(request), str(form.get("entry", ""))
    texts = await board_of(request).unanswered_texts(form_ids(form))
    if not texts or entry_id not in service.kb.entries:
        see_other(HERE, "nothing_selected" if not texts else "link_failed", **here)
    me = signed_in(request).username
    try:
        follower = request.config_dict[FOLLOWER]
        taught = await teach(service, follower, admin_of(request).kb_lock, entry_id, [t for _i, t in texts], me)
    except TeachError:
        see_other(HERE, "link_failed", **here)
    await board_of(request).review([i for i, _t in texts], "linked", entry_id, me)
    detail = {"inquiries": len(texts), "added": taught.added, "version": taught.version}
    await audit(request, "link_group", f"entry:{entry_id}", **detail)
    see_other(HERE, "linked" if taught.added else "linked_none", **here)


async def _mark(request: web.Request, action: str, message: str) -> web.StreamResponse:
    form = await request.post()
    marked = await board_of(request).review(form_ids(form), action, None, signed_in(request).username)
    await audit(request, "mark_" + action, None, inquiries=marked)
    see_other(HERE, message if marked else "nothing_selected", **back(form))


@routes.post("/unanswered/handled")
@requires("editor")
async def handled(request: web.Request) -> web.StreamResponse:
    """Mark the selected questions handled (they leave the list; the log keeps them)."""
    return await _mark(request, "handled", "handled")


@routes.post("/unanswered/off-topic")
@requires("editor")
async def off_topic(request: web.Request) -> web.StreamResponse:
    """Mark the selected questions off-topic (weather, gold prices…): they leave the list."""
    return await _mark(request, "off_topic", "marked_off_topic")
