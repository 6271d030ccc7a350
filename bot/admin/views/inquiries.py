"""The inquiry log: filters, pages, conversations, exports."""

from __future__ import annotations

import asyncio
import io

from aiohttp import web

from bot.admin.context import audit, board_of, int_param, labels_of, render, service_of
from bot.admin.filters import LogFilter
from bot.admin.reports import CSV_BOM, MAX_XLSX_ROWS, Table, csv_text, export_header, export_row, write_xlsx
from bot.admin.views.choices import filter_choices

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

routes = web.RouteTableDef()


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@routes.get("/inquiries")
async def log(request: web.Request) -> web.StreamResponse:
    """One page of the filtered log, newest first."""
    f = LogFilter.from_query(request.query)
    q = request.query
    page = await board_of(request).log_page(
        f, before=int_param(q.get("before")), after=int_param(q.get("after")), oldest=q.get("page") == "oldest"
    )
    return render(request, "inquiries.html", f=f, page=page, choices=await filter_choices(request))


@routes.get(r"/inquiries/{id:\d+}")
async def conversation(request: web.Request) -> web.StreamResponse:
    """The conversation one inquiry belongs to, in order, with officials' replies."""
    inquiry_id = int(request.match_info["id"])
    view = await board_of(request).conversation(inquiry_id)
    if view is None:
        return render(request, "error.html", status=404, error="not_found")
    return render(request, "conversation.html", convo=view, focus=inquiry_id, entries=service_of(request).kb.entries)


@routes.get("/inquiries/export.csv")
async def export_csv(request: web.Request) -> web.StreamResponse:
    """Stream the filtered log as CSV (formula-safe, workers by pseudonym)."""
    f, labels = LogFilter.from_query(request.query), labels_of(request)
    await audit(request, "export", "inquiries", format="csv", filter=f.query())
    response = web.StreamResponse(headers={"Content-Type": "text/csv; charset=utf-8", **attachment("nhat-ky.csv")})
    await response.prepare(request)
    await response.write((CSV_BOM + csv_text([export_header(labels)])).encode())
    async for batch in board_of(request).iter_log(f):
        await response.write(csv_text(export_row(r, labels) for r in batch).encode())
    await response.write_eof()
    return response


@routes.get("/inquiries/export.xlsx")
async def export_xlsx(request: web.Request) -> web.StreamResponse:
    """The filtered log as an Excel workbook (the newest 100 000 records)."""
    f, labels = LogFilter.from_query(request.query), labels_of(request)
    await audit(request, "export", "inquiries", format="xlsx", filter=f.query())
    rows = [export_row(r, labels) async for batch in board_of(request).iter_log(f, MAX_XLSX_ROWS) for r in batch]
    buffer = io.BytesIO()
    table = Table("log", str(labels.data["export_sheet"]), export_header(labels), rows)
    await asyncio.to_thread(write_xlsx, [table], buffer)
    return web.Response(body=buffer.getvalue(), content_type=XLSX_TYPE, headers=attachment("nhat-ky.xlsx"))
