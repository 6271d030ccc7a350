"""The overview: charts of what workers asked."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from aiohttp import web

from bot.admin.context import admin_of, board_of, labels_of, render, service_of
from bot.admin.filters import LogFilter
from bot.admin.overview_data import read_overview
from bot.admin.present import overview_charts
from bot.admin.texts import days_between, local_today
from bot.admin.views.choices import filter_choices

DEFAULT_DAYS = 30
MAX_DAYS = 366

routes = web.RouteTableDef()


def period(request: web.Request) -> tuple[LogFilter, list[dt.date]]:
    """The filter from the query, its dates defaulting to the last 30 days (at most a year)."""
    f = LogFilter.from_query(request.query)
    end = f.end or local_today(admin_of(request).clock())
    start = f.start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    start = max(start, end - dt.timedelta(days=MAX_DAYS - 1)) if start <= end else end
    return replace(f, start=start, end=end), days_between(start, end)


@routes.get("/")
async def overview(request: web.Request) -> web.StreamResponse:
    """Charts of the chosen period: topics per day, answered rate, channels, campaigns, provinces."""
    f, days = period(request)
    data = await read_overview(board_of(request), f, days, today=local_today(admin_of(request).clock()))
    charts = overview_charts(data, labels_of(request), service_of(request).kb, base=f.query())
    return render(request, "overview.html", f=f, data=data, charts=charts, choices=await filter_choices(request))
