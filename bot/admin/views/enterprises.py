"""The official list of licensed enterprises: its imports, and (admins) uploading a new one."""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from bot.admin.auth import requires
from bot.admin.context import audit, render, service_of
from bot.enterprises import ImportReport, import_enterprises
from bot.store.enterprises import enterprise_lists

routes = web.RouteTableDef()


async def page(request: web.Request, report: ImportReport | None = None, status: int = 200) -> web.StreamResponse:
    lists = await enterprise_lists(service_of(request).store)
    return render(request, "enterprises.html", status=status, lists=lists, report=report)


@routes.get("/enterprises")
async def enterprises(request: web.Request) -> web.StreamResponse:
    """The imported lists, the active one first."""
    return await page(request)


@routes.post("/enterprises")
@requires("admin")
async def upload(request: web.Request) -> web.StreamResponse:
    """Check an uploaded list (.csv or .xlsx) and, if any row is valid, make it the active list."""
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        return await page(request, ImportReport(source="", error="no file"), status=400)
    try:
        list_date = dt.date.fromisoformat(str(form.get("list_date") or "")) if form.get("list_date") else None
    except ValueError:
        list_date = None
    service = service_of(request)
    data = upload.file.read()
    report = await import_enterprises(service.store, data, upload.filename, list_date, cache=service.enterprises)
    await audit(request, "enterprise_import", upload.filename[:200], imported=report.imported, list_id=report.list_id)
    return await page(request, report, status=200 if report.ok else 400)
