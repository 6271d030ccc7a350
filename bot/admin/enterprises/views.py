"""The official list of licensed enterprises: view and search the active list; (admins) upload a
new one, see its rejected rows and how it differs from the active list, then confirm it; roll back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from bot.admin.auth import requires
from bot.admin.context import audit, int_param, render, see_other, service_of, signed_in
from bot.enterprises import ImportReport, ListDiff, Problem, compare, confirm_list, import_enterprises
from bot.store import enterprises as db
from bot.store.models import EnterpriseList
from nlu.normalize import fold_key

routes = web.RouteTableDef()
PAGE = 50
DIFF_ROWS = 200  # rows of each kind of change shown (the counts are whole)
MAX_SEARCH_WORDS = 8


def search_words(q: str) -> list[tuple[str, str]]:
    """(folded, as typed) of each word searched for."""
    typed = q.split()[:MAX_SEARCH_WORDS]
    return [(fold_key(w) or w.lower(), w) for w in typed]


async def _rows(request: web.Request, listed: EnterpriseList) -> dict[str, Any]:
    """One page of a list's enterprises, searched (?q=, ?page=)."""
    q = request.query.get("q", "").strip()[:100]
    page = max(1, int_param(request.query.get("page")) or 1)
    total, rows = await db.list_rows(service_of(request).store, listed.id, search_words(q), (page - 1) * PAGE, PAGE)
    return {"q": q, "rows": rows, "total": total, "page": page, "page_count": max(1, -(-total // PAGE))}


async def _diff(request: web.Request, older: EnterpriseList | None, newer: EnterpriseList) -> ListDiff | None:
    if older is None or older.id == newer.id:
        return None
    store = service_of(request).store
    return compare(await db.all_rows(store, older.id), await db.all_rows(store, newer.id))


async def index(
    request: web.Request, report: ImportReport | None = None, status: int = 200, pending: EnterpriseList | None = None
) -> web.StreamResponse:
    store = service_of(request).store
    lists = await db.enterprise_lists(store)
    active = next((item for item in lists if item.active), None)
    previous = await db.previous_list(store)
    context = await _rows(request, active) if active is not None else {}
    diff = await _diff(request, active, pending) if pending is not None else None
    return render(
        request,
        "enterprises.html",
        status=status,
        lists=lists,
        active=active,
        previous=previous,
        report=report,
        pending=pending,
        diff=diff,
        diff_rows=DIFF_ROWS,
        waiting=[item for item in lists if item.activated_at is None],
        **context,
    )


@routes.get("/enterprises")
async def enterprises(request: web.Request) -> web.StreamResponse:
    """The active list (searchable), lists waiting for confirmation, the history of imports."""
    return await index(request)


@routes.post("/enterprises")
@requires("admin")
async def upload(request: web.Request) -> web.StreamResponse:
    """Check an uploaded list (.csv or .xlsx) and keep its valid rows for confirmation: the page
    shows the rejected rows and how it differs from the active list; nothing is active yet."""
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        return await index(request, ImportReport(source="", problem=Problem.of("no_file")), status=400)
    try:
        list_date = dt.date.fromisoformat(str(form.get("list_date") or "")) if form.get("list_date") else None
    except ValueError:
        list_date = None
    service, me = service_of(request), signed_in(request).username
    data = upload.file.read()
    report = await import_enterprises(service.store, data, upload.filename, list_date, stage=True, uploaded_by=me)
    await audit(request, "enterprise_import", upload.filename[:200], imported=report.imported, list_id=report.list_id)
    pending = await db.get_list(service.store, report.list_id) if report.list_id is not None else None
    return await index(request, report, status=200 if report.ok else 400, pending=pending)


@routes.get(r"/enterprises/{id:\d+}")
async def one_list(request: web.Request) -> web.StreamResponse:
    """One list (waiting, active or earlier): its enterprises, and how it differs from the active list."""
    store = service_of(request).store
    listed = await db.get_list(store, int(request.match_info["id"]))
    if listed is None:
        raise web.HTTPNotFound()
    lists = await db.enterprise_lists(store)
    active = next((item for item in lists if item.active), None)
    previous = await db.previous_list(store)
    if listed.active:
        diff = await _diff(request, previous, listed)  # what the last change brought
    else:
        diff = await _diff(request, active, listed)  # what confirming (or rolling back) would change
    context = await _rows(request, listed)
    return render(
        request,
        "enterprise_list.html",
        listed=listed,
        active=active,
        previous=previous,
        diff=diff,
        diff_rows=DIFF_ROWS,
        **context,
    )


@routes.post(r"/enterprises/{id:\d+}/confirm")
@requires("admin")
async def confirm(request: web.Request) -> web.StreamResponse:
    """Make a list waiting for confirmation the active one."""
    service = service_of(request)
    listed = await db.get_list(service.store, int(request.match_info["id"]))
    if listed is None or listed.activated_at is not None:
        see_other("/admin/enterprises", "enterprise_gone")
    if await confirm_list(service.store, listed.id, cache=service.enterprises):
        await audit(request, "enterprise_confirm", f"enterprise_list:{listed.id}", source=listed.source)
    see_other("/admin/enterprises", "enterprise_confirmed")


@routes.post(r"/enterprises/{id:\d+}/discard")
@requires("admin")
async def discard(request: web.Request) -> web.StreamResponse:
    """Drop a list nobody confirmed."""
    list_id = int(request.match_info["id"])
    if await db.discard_list(service_of(request).store, list_id):
        await audit(request, "enterprise_discard", f"enterprise_list:{list_id}")
        see_other("/admin/enterprises", "enterprise_discarded")
    see_other("/admin/enterprises", "enterprise_gone")


@routes.post("/enterprises/rollback")
@requires("admin")
async def rollback(request: web.Request) -> web.StreamResponse:
    """Make the list active before the current one active again."""
    service = service_of(request)
    previous = await db.previous_list(service.store)
    current = await db.active_list_id(service.store)
    if previous is None:
        see_other("/admin/enterprises", "enterprise_no_previous")
    await confirm_list(service.store, previous.id, cache=service.enterprises)
    await audit(request, "enterprise_rollback", f"enterprise_list:{previous.id}", replaced=current)
    see_other("/admin/enterprises", "enterprise_rolled_back")
