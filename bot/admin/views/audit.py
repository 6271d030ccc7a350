"""The audit log (admins only)."""

from __future__ import annotations

from aiohttp import web

from bot.admin.auth import requires
from bot.admin.context import accounts_of, int_param, render

routes = web.RouteTableDef()
PAGE = 100


@routes.get("/audit")
@requires("admin")
async def audit_log(request: web.Request) -> web.StreamResponse:
    """Who exported, replied, curated or changed accounts, newest first."""
    entries = await accounts_of(request).audit_entries(before=int_param(request.query.get("before")), limit=PAGE + 1)
    older = entries[PAGE - 1].id if len(entries) > PAGE else None
    return render(request, "audit.html", entries=entries[:PAGE], older=older)
