"""A new knowledge entry: topic, province scope, answer, examples, and its source — a document
already in the knowledge and its section, or a new document an official registers by pasting its
text with its number, issuer and date. kb check runs first (every figure of the answer must occur
in the cited text), then a draft (editor) or a publication (approver)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from aiohttp import web

from bot.admin.accounts import role_allows
from bot.admin.auth import requires
from bot.admin.context import admin_of, labels_of, render, service_of, signed_in
from bot.admin.texts import local_today
from bot.admin.views.knowledge import submit
from bot.kbstore import check_files, current
from knowledge.edit import EntryEditError, append_document, append_entry, clean_text, slug
from knowledge.model import ENTRY_TOPICS, SCOPES, load_knowledge_files

routes = web.RouteTableDef()
FIELDS = ("id", "title", "topic", "scope", "answer", "examples", "related", "doc", "section", "why")
DOC_FIELDS = ("new_document", "new_title", "new_issuer", "new_date", "new_text")
MAX_TEXT = 500_000  # a pasted plan (the longest one here is ~26 kB)


def _page(
    request: web.Request, kb: Any, version: Any, form: dict[str, str], problems: list[str], status: int = 200
) -> web.Response:
    return render(
        request,
        "kb_new.html",
        status=status,
        kb=kb,
        version=version,
        form=form,
        problems=problems,
        topics=ENTRY_TOPICS,
        scopes=SCOPES,
        documents=sorted(kb.documents.values(), key=lambda d: d.document),
    )


@routes.get("/knowledge/new")
@requires("editor")
async def new_page(request: web.Request) -> web.StreamResponse:
    version, files = await current(service_of(request).store)
    form = dict.fromkeys((*FIELDS, *DOC_FIELDS), "")
    return _page(request, load_knowledge_files(files), version, form, [])


def _new_document(form: dict[str, str], files: dict[str, str]) -> tuple[dict[str, str], str, list[str]]:
    """documents.yaml and the source text for a pasted document: (changed files, its id, problems)."""
    number, issuer, text = form["new_document"], form["new_issuer"], form["new_text"]
    try:
        date = dt.date.fromisoformat(form["new_date"])
    except ValueError:
        return {}, "", ["Văn bản mới: ngày ban hành chưa đúng (chọn ngày trên lịch)."]
    missing = [
        name for name, value in (("số hiệu", number), ("cơ quan ban hành", issuer), ("nội dung", text)) if not value
    ]
    if missing:
        return {}, "", [f"Văn bản mới: còn thiếu {', '.join(missing)}."]
    doc_id, n = f"{slug(number)}-{date.year}", 2
    base = doc_id
    while f"sources/{doc_id}.txt" in files or f"- id: {doc_id}\n" in files["documents.yaml"]:
        doc_id, n = f"{base}-{n}", n + 1
    source = f"sources/{doc_id}.txt"
    raw = {
        "id": doc_id,
        "document": number,
        "title": form["new_title"] or number,
        "issuer": issuer,
        "date": date,
        "file": source,
        "cite": f"Theo {number} ngày {date.day}/{date.month}/{date.year} của {issuer}",
    }
    documents = append_document(files["documents.yaml"], raw)
    return {"documents.yaml": documents, source: text + "\n"}, doc_id, []


def _entry_file(files: dict[str, str], scope: str, topic: str) -> str:
    return f"entries/{scope}/{topic}.yaml"


@routes.post("/knowledge/new")
@requires("editor")
async def create(request: web.Request) -> web.StreamResponse:
    """Check the new entry (and document) and keep it as a draft, or publish it."""
    raw_form = await request.post()
    publishing = raw_form.get("action") == "publish"
    if publishing and not role_allows(signed_in(request).role, "approver"):
        return render(request, "error.html", status=403, error="forbidden")
    form = {k: clean_text(str(raw_form.get(k, ""))[:MAX_TEXT]) for k in (*FIELDS, *DOC_FIELDS)}
    version, files = await current(service_of(request).store)
    kb = load_knowledge_files(files)
    changed, problems = _build(form, files, local_today(admin_of(request).clock()))
    if not problems:
        problems = [labels_of(request).kb_problem(p) for p in check_files({**files, **changed})]
    if problems:
        return _page(request, kb, version, form, problems, status=422)
    why = form["why"] or f"thêm mục {form['id']}"
    await submit(request, version.id, files, changed, form["id"], why, publishing)
    raise AssertionError("submit redirects")  # pragma: no cover


def _build(form: dict[str, str], files: dict[str, str], today: dt.date) -> tuple[dict[str, str], list[str]]:
    """The files the new entry changes, or the problems of the form (in Vietnamese)."""
    entry_id, topic, scope = form["id"], form["topic"], form["scope"]
    if not re.fullmatch(r"[a-z0-9_]{3,64}", entry_id):
        return {}, ["Mã mục cần 3–64 chữ thường không dấu, số hoặc dấu _ (vd: lc_ho_tro_hoc_nghe)."]
    if topic not in ENTRY_TOPICS or scope not in SCOPES:
        return {}, ["Hãy chọn chủ đề và phạm vi (tỉnh) của mục."]
    if entry_id in load_knowledge_files(files).entries:
        return {}, [f"Đã có mục mã {entry_id}; hãy chọn mã khác."]
    changed: dict[str, str] = {}
    doc = form["doc"]
    if doc == "_new":
        changed, doc, problems = _new_document(form, files)
        if problems:
            return {}, problems
    raw = {
        "id": entry_id,
        "title": form["title"],
        "answer": form["answer"],
        "sources": [{"doc": doc, "section": form["section"]}],
        "examples": [q for q in (clean_text(line) for line in form["examples"].split("\n")) if q],
        "related": [r for r in re.split(r"[\s,;]+", form["related"]) if r],
        "reviewed": today,
    }
    path = _entry_file(files, scope, topic)
    try:
        changed[path] = append_entry(files.get(path), scope, topic, raw)
    except EntryEditError as exc:
        return {}, [str(exc)]
    return changed, []
