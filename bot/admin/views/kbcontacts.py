"""Office contacts per province (knowledge/contacts.yaml in the published version): name,
address, phone, hours, source and review date; added, replaced or removed as a draft (editor) or
published (approver), kb check first. Answers to "where do I go / which number" use them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from bot.admin.accounts import role_allows
from bot.admin.auth import requires
from bot.admin.context import labels_of, render, service_of, signed_in
from bot.admin.views.knowledge import CONTACTS, HERE, submit
from bot.kbstore import check_files, current
from knowledge.edit import EntryEditError, clean_text, render_contacts
from knowledge.model import CONTACT_FIELDS, KnowledgeBase, load_knowledge_files

routes = web.RouteTableDef()
PAGE = f"{HERE}/contacts"
EMPTY = "# Office contacts per province (see the dashboard).\ncontacts: []\n"


def _page(
    request: web.Request, kb: KnowledgeBase, form: dict[str, str], problems: list[str], status: int = 200
) -> web.Response:
    return render(
        request,
        "kb_contacts.html",
        status=status,
        kb=kb,
        contacts=sorted(kb.contacts, key=lambda c: (c.province, c.office)),
        offices=kb.office_change_offices(),
        form=form,
        problems=problems,
    )


@routes.get("/knowledge/contacts")
async def contacts_page(request: web.Request) -> web.StreamResponse:
    _version, files = await current(service_of(request).store)
    form = dict.fromkeys((*CONTACT_FIELDS, "reviewed", "why"), "")
    return _page(request, load_knowledge_files(files), form, [])


def _listed(kb: KnowledgeBase) -> list[dict[str, Any]]:
    return [{**{k: getattr(c, k) for k in CONTACT_FIELDS}, "reviewed": c.reviewed} for c in kb.contacts]


@routes.post("/knowledge/contacts")
@requires("editor")
async def change_contacts(request: web.Request) -> web.StreamResponse:
    """Add (or replace, same province and office) or remove one contact."""
    raw = await request.post()
    publishing = raw.get("action") == "publish"
    if publishing and not role_allows(signed_in(request).role, "approver"):
        return render(request, "error.html", status=403, error="forbidden")
    form = {k: clean_text(str(raw.get(k, ""))[:2000]) for k in (*CONTACT_FIELDS, "reviewed", "why")}
    version, files = await current(service_of(request).store)
    kb = load_knowledge_files(files)
    listed = [c for c in _listed(kb) if (c["province"], c["office"]) != (form["province"], form["office"])]
    if raw.get("op") != "delete":
        try:
            reviewed: dt.date | str = dt.date.fromisoformat(form["reviewed"])
        except ValueError:
            return _page(request, kb, form, ["Hãy chọn ngày rà soát (ngày bạn kiểm tra thông tin này)."], 422)
        listed.append({**{k: form[k] for k in CONTACT_FIELDS}, "reviewed": reviewed})
    try:
        changed = {"contacts.yaml": render_contacts(files.get("contacts.yaml", EMPTY), listed)}
    except EntryEditError as exc:
        return _page(request, kb, form, [str(exc)], 422)
    problems = [_said(request, p) for p in check_files({**files, **changed})]
    if problems:
        return _page(request, kb, form, problems, 422)
    why = form["why"] or f"địa chỉ {form['office']} ({form['province']})"
    await submit(request, version.id, files, changed, CONTACTS, why, publishing, back=PAGE)
    raise AssertionError("submit redirects")  # pragma: no cover


def _said(request: web.Request, problem: str) -> str:
    return labels_of(request).kb_problem(problem)
