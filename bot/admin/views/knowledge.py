"""The knowledge editor: entries of the published version, an entry's answer, examples and
follow-ups; drafts (editors) and publishing (approvers), kb check first; history and rollback."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from aiohttp import web

from bot.admin.accounts import role_allows
from bot.admin.auth import requires
from bot.admin.context import admin_of, audit, int_param, labels_of, render, see_other, service_of, signed_in
from bot.admin.kbdrafts import Draft, decide, get_draft, laid_over, open_drafts, publish_draft, save_draft
from bot.admin.texts import local_today
from bot.admin.trychat import MAX_QUESTION, ask, draft_bot, published_bot
from bot.appkeys import FOLLOWER
from bot.kbstore import PublishError, check_files, current, history, publish, rollback, version_files
from bot.privacy import entering
from knowledge.edit import EntryEditError, change_entry, clean_text, remove_entry
from knowledge.model import Entry, load_knowledge_files
from nlu.normalize import fold_key

routes = web.RouteTableDef()
HERE = "/admin/knowledge"
MAX_FIELD = 20_000
MAX_TITLE = 200
CONTACTS = "contacts"  # a draft of the office contacts (contacts.yaml) carries this instead of an entry id


async def _published(request: web.Request) -> tuple[Any, dict[str, str]]:
    return await current(service_of(request).store)


async def _follow(request: web.Request) -> None:
    """This process serves the new version before the official sees the next page."""
    await request.config_dict[FOLLOWER].check()


@routes.get("/knowledge")
async def index(request: web.Request) -> web.StreamResponse:
    """The entries of the published version (searchable), the drafts waiting for an approver."""
    version, files = await _published(request)
    kb = load_knowledge_files(files)
    query = request.query.get("q", "").strip()[:200]
    words = fold_key(query).split()
    entries = [e for e in kb.entries.values() if all(w in fold_key(f"{e.id} {e.title} {e.answer}") for w in words)]
    entries.sort(key=lambda e: (e.topic, e.scope, e.title))
    drafts = await open_drafts(service_of(request).store)
    return render(request, "knowledge.html", version=version, entries=entries, drafts=drafts, q=query, kb=kb)


def _form_of(entry: Entry) -> dict[str, str]:
    return {
        "title": entry.title,
        "sources": "\n".join(f"{s.doc} | {s.section}" for s in entry.sources),
        "answer": entry.answer,
        "examples": "\n".join(entry.examples),
        "related": ", ".join(entry.related),
        "why": "",
    }


@routes.get("/knowledge/entry/{entry_id}")
async def entry_page(request: web.Request) -> web.StreamResponse:
    """One entry's editing form (on the published version)."""
    version, files = await _published(request)
    kb = load_knowledge_files(files)
    entry = kb.entries.get(request.match_info["entry_id"])
    if entry is None:
        raise web.HTTPNotFound()
    return render(request, "kb_entry.html", entry=entry, kb=kb, version=version, form=_form_of(entry), problems=[])


def _changes(form: Any, today: dt.date) -> dict[str, Any]:
    """The entry's new fields from the form, as the files write them."""
    examples = [clean_text(line) for line in str(form.get("examples", ""))[:MAX_FIELD].split("\n")]
    related = [r for r in re.split(r"[\s,;]+", str(form.get("related", ""))[:2000]) if r]
    found: dict[str, Any] = {
        "answer": clean_text(str(form.get("answer", ""))[:MAX_FIELD]),
        "examples": [q for q in examples if q],
        "related": related,
        "reviewed": today,
    }
    if "title" in form:  # the title and sources as the form shows them (absent: left as they are)
        found["title"] = clean_text(str(form["title"]))[:MAX_TITLE]
    if "sources" in form:
        found["sources"] = sources_of(str(form["sources"])[:MAX_FIELD])
    return found


def sources_of(text: str) -> list[dict[str, str]]:
    """Sources typed one a line, "document id | section"; kb check judges them (a document it does
    not know, a section missing)."""
    found = []
    for line in text.split("\n"):
        doc, _bar, section = clean_text(line).partition("|")
        if doc.strip():
            found.append({"doc": doc.strip(), **({"section": section.strip()} if section.strip() else {})})
    return found


@routes.post("/knowledge/entry/{entry_id}")
@requires("editor")
async def save(request: web.Request) -> web.StreamResponse:
    """Save an edit as a draft (editor) or publish it (approver), kb check first."""
    form = await request.post()
    publishing = form.get("action") == "publish"
    if publishing and not role_allows(signed_in(request).role, "approver"):
        return render(request, "error.html", status=403, error="forbidden")
    store = service_of(request).store
    version, files = await _published(request)
    entry_id = request.match_info["entry_id"]
    base = int_param(str(form.get("version", ""))) or version.id
    base_files = files if base == version.id else await version_files(store, base)
    kb = load_knowledge_files(base_files)
    entry = kb.entries.get(entry_id)
    if entry is None:
        raise web.HTTPNotFound()
    if files.get(entry.file) != base_files.get(entry.file):
        see_other(f"{HERE}/entry/{entry_id}", "kb_stale")
    why = clean_text(str(form.get("why", "")))[:2000]
    try:
        changed = {
            entry.file: change_entry(
                base_files[entry.file], entry_id, _changes(form, local_today(admin_of(request).clock()))
            )
        }
    except EntryEditError as exc:
        return _refused(request, entry, kb, version, form, [str(exc)])
    problems = check_files({**files, **changed})
    if problems:
        return _refused(request, entry, kb, version, form, problems)
    await submit(request, version.id, files, changed, entry_id, why, publishing)
    raise AssertionError("submit redirects")  # pragma: no cover


@routes.post("/knowledge/entry/{entry_id}/delete")
@requires("approver")
async def delete_entry(request: web.Request) -> web.StreamResponse:
    """Delete an entry (approvers): kb check first (another entry may still point to it), then a
    new published version; history keeps it, a rollback brings it back."""
    form = await request.post()
    version, files = await _published(request)
    kb = load_knowledge_files(files)
    entry = kb.entries.get(request.match_info["entry_id"])
    if entry is None:
        raise web.HTTPNotFound()
    try:
        changed = {entry.file: remove_entry(files[entry.file], entry.id)}
    except EntryEditError as exc:
        return _refused(request, entry, kb, version, {}, [str(exc)])
    problems = check_files({**files, **changed})
    if problems:
        return _refused(request, entry, kb, version, {}, problems)
    me = signed_in(request).username
    why = clean_text(str(form.get("why", "")))[:2000] or f"xoá mục {entry.id}"
    try:
        new = await publish(service_of(request).store, {**files, **changed}, me, "edit", why, on_version=version.id)
    except PublishError:
        see_other(f"{HERE}/entry/{entry.id}", "kb_stale")
    await audit(request, "kb_delete", f"entry:{entry.id}", version=new.id)
    await _follow(request)
    see_other(HERE, "kb_deleted")


async def submit(
    request: web.Request,
    version: int,
    files: dict[str, str],
    changed: dict[str, str],
    entry_id: str,
    why: str,
    publishing: bool,
    back: str | None = None,
) -> None:
    """Keep a checked change as a draft, or publish it (then this process serves it); redirects
    (after publishing: to `back`, by default the entry's page)."""
    store, me = service_of(request).store, signed_in(request)
    back = back or f"{HERE}/entry/{entry_id}"
    if not publishing:
        draft = await save_draft(store, me.username, version, files, changed, entry_id, why)
        await audit(request, "kb_draft", f"entry:{entry_id}", draft=draft.id)
        see_other(f"{HERE}/drafts/{draft.id}", "kb_draft_saved")
    try:
        what = why or f"sửa mục {entry_id}"
        new = await publish(store, {**files, **changed}, me.username, "edit", what, on_version=version)
    except PublishError as exc:
        see_other(back, "kb_unchanged" if exc.code == "unchanged" else "kb_stale")
    await audit(request, "kb_publish", f"entry:{entry_id}", version=new.id)
    await _follow(request)
    see_other(back, "kb_published")


def _refused(request: web.Request, entry: Entry, kb: Any, version: Any, form: Any, problems: list[str]) -> web.Response:
    """The form again, as the official typed it, with kb check's problems in Vietnamese."""
    labels = labels_of(request)
    typed = {
        **_form_of(entry),
        **{k: str(form[k]) for k in ("title", "sources", "answer", "examples", "related", "why") if k in form},
    }
    said = [labels.kb_problem(p) for p in problems]
    return render(request, "kb_entry.html", status=422, entry=entry, kb=kb, version=version, form=typed, problems=said)


async def _draft_or_404(request: web.Request) -> Draft:
    draft = await get_draft(service_of(request).store, int_param(request.match_info["draft_id"]) or 0)
    if draft is None:
        raise web.HTTPNotFound()
    return draft


@routes.get("/knowledge/drafts/{draft_id}")
async def draft_page(request: web.Request) -> web.StreamResponse:
    """A draft beside the published entry, with what kb check says of it now."""
    return await _draft_view(request, await _draft_or_404(request))


async def _draft_view(request: web.Request, draft: Draft, status: int = 200, **extra: Any) -> web.Response:
    version, files = await _published(request)
    before = load_knowledge_files(files)
    try:
        merged = laid_over(draft, files)
        problems = [labels_of(request).kb_problem(p) for p in check_files(merged)]
        stale = False
    except PublishError:
        merged, problems, stale = files, [], True
    after = load_knowledge_files(merged)
    entry_id = draft.entry_id or ""
    return render(
        request,
        "kb_draft.html",
        status=status,
        contacts=after.contacts if entry_id == CONTACTS else None,
        draft=draft,
        version=version,
        before=before.entries.get(entry_id),
        after=after.entries.get(entry_id),
        problems=problems,
        stale=stale,
        provinces=service_of(request).kb.provinces,
        **{"tried": None, "draft_reply": None, "published_reply": None, **extra},
    )


@routes.post("/knowledge/drafts/{draft_id}/try")
@requires("editor")
async def try_draft(request: web.Request) -> web.StreamResponse:
    """The test chat: a question answered with the draft (built off the event loop, never
    published) and by the published bot, side by side."""
    draft = await _draft_or_404(request)
    form = await request.post()
    question = str(form.get("question", "")).strip()
    province = str(form.get("province", "")) or None
    _version, files = await _published(request)
    try:
        merged = laid_over(draft, files)
    except PublishError:
        return await _draft_view(request, draft, status=409)
    if not question:
        tried = {"question": "", "province": province, "missing": True}
        return await _draft_view(request, draft, status=400, tried=tried)
    service = service_of(request)
    draft_reply = await ask(await draft_bot(service, merged), service, question, province)
    published_reply = await ask(published_bot(service), service, question, province)
    tried = {"question": entering(question, MAX_QUESTION), "province": province, "missing": False}
    return await _draft_view(request, draft, tried=tried, draft_reply=draft_reply, published_reply=published_reply)


@routes.post("/knowledge/drafts/{draft_id}/publish")
@requires("approver")
async def publish_draft_view(request: web.Request) -> web.StreamResponse:
    """Publish a draft (kb check first); this process and every other then serve it."""
    draft = await _draft_or_404(request)
    here = f"{HERE}/drafts/{draft.id}"
    try:
        version = await publish_draft(service_of(request).store, draft, signed_in(request).username)
    except PublishError as exc:
        codes = {"stale": "kb_stale", "conflict": "kb_stale", "unchanged": "kb_unchanged", "decided": "kb_decided"}
        see_other(here, codes.get(exc.code, "kb_stale"))
    await audit(request, "kb_publish", f"entry:{draft.entry_id}", version=version.id, draft=draft.id)
    await _follow(request)
    see_other(f"{HERE}/contacts" if draft.entry_id == CONTACTS else f"{HERE}/entry/{draft.entry_id}", "kb_published")


@routes.post("/knowledge/drafts/{draft_id}/drop")
@requires("editor")
async def drop_draft(request: web.Request) -> web.StreamResponse:
    draft = await _draft_or_404(request)
    dropped = await decide(service_of(request).store, draft.id, "dropped", signed_in(request).username)
    await audit(request, "kb_drop", f"entry:{draft.entry_id}", draft=draft.id)
    see_other(HERE, "kb_dropped" if dropped else "kb_decided")


@routes.get("/knowledge/history")
async def history_page(request: web.Request) -> web.StreamResponse:
    """Every published version, newest (the one in use) first."""
    await _published(request)
    versions = await history(service_of(request).store)
    return render(request, "kb_history.html", versions=versions)


@routes.post("/knowledge/rollback")
@requires("approver")
async def rollback_view(request: web.Request) -> web.StreamResponse:
    """Publish an earlier version again (kb check first), as a new version."""
    form = await request.post()
    target = int_param(str(form.get("version", ""))) or 0
    why = clean_text(str(form.get("why", "")))[:2000]
    try:
        version = await rollback(service_of(request).store, target, signed_in(request).username, why)
    except PublishError as exc:
        see_other(f"{HERE}/history", "kb_unchanged" if exc.code == "unchanged" else "kb_stale")
    await audit(request, "kb_rollback", f"version:{target}", version=version.id)
    await _follow(request)
    see_other(f"{HERE}/history", "kb_rolled_back")
