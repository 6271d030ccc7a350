"""The monthly report, downloaded from the dashboard (the same as `laodong report`)."""

from __future__ import annotations

import asyncio
import datetime as dt

from aiohttp import web

from bot.admin.context import admin_of, audit, board_of, labels_of, render, service_of
from bot.admin.reports import CONTENT_TYPES, monthly_report, report_bytes, report_filename
from bot.admin.texts import local_today, parse_month

routes = web.RouteTableDef()
MONTHS_OFFERED = 12


def recent_months(today: dt.date, count: int = MONTHS_OFFERED) -> list[str]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


@routes.get("/reports")
async def reports(request: web.Request) -> web.StreamResponse:
    """Pick a month, a province and a format."""
    months = recent_months(local_today(admin_of(request).clock()))
    return render(request, "reports.html", months=months, provinces=service_of(request).kb.provinces)


@routes.get("/reports/monthly")
async def monthly(request: web.Request) -> web.StreamResponse:
    """Download the monthly report as XLSX or CSV."""
    q, kb = request.query, service_of(request).kb
    month, fmt = q.get("month", ""), q.get("format", "xlsx")
    province = q.get("province") or None
    try:
        parse_month(month)
    except ValueError:
        return render(request, "error.html", status=400, error="bad_month")
    if fmt not in CONTENT_TYPES or (province is not None and province not in kb.provinces):
        return render(request, "error.html", status=400, error="bad_request")
    report = await monthly_report(board_of(request), kb, labels_of(request), month, province, admin_of(request).clock())
    body = await asyncio.to_thread(report_bytes, report, fmt)
    await audit(request, "report", f"month:{month}", province=province, format=fmt)
    disposition = {"Content-Disposition": f'attachment; filename="{report_filename(month, province, fmt)}"'}
    # The type carries its charset ("text/csv; charset=utf-8"): a header, not aiohttp's content_type.
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPES[fmt], **disposition})
