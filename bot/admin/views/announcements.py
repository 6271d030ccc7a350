"""Announcements: write one (preview as Telegram, Zalo and the web chat show it), send now or at a
time, follow its delivery, cancel it; subscribers by province over time."""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from bot.admin.auth import requires
from bot.admin.charts import stacked_columns
from bot.admin.context import audit, int_param, labels_of, render, see_other, service_of
from bot.announce import store as announcements
from bot.announce.cli import Refused, check_target, check_text, parse_time
from bot.announce.queries import announcement_rows, subscribers_over_time
from bot.announce.render import announcement_text

routes = web.RouteTableDef()
PREVIEW_CHANNELS = ("telegram", "zalo", "web")


async def _page(request: web.Request, status: int = 200, form: dict[str, object] | None = None) -> web.Response:
    service = service_of(request)
    subscribers = await subscribers_over_time(service.store)
    labels = labels_of(request)
    days = [d.strftime("%d/%m") for d in subscribers.days]
    series = [(labels.province(p) or "Chưa rõ tỉnh", v) for p, v in sorted(subscribers.by_province.items())]
    return render(
        request,
        "announcements.html",
        status=status,
        rows=await announcement_rows(service.store),
        subscribers=subscribers,
        subscribers_chart=stacked_columns(days, series),
        subscribers_chart_narrow=stacked_columns(days, series, width=420, height=220, ticks=4),
        provinces=service.kb.provinces,
        topics=service.kb.responses["topics"],
        form=form or {},
    )


@routes.get("/announcements")
async def announcements_page(request: web.Request) -> web.StreamResponse:
    """Every announcement with its progress; the form to write one; subscribers over time."""
    return await _page(request)


def _form_target(form: dict[str, str]) -> tuple[str, str | None]:
    target = form.get("target", "all")
    value = form.get("value", "").strip() or None
    if target == "all":
        return check_target(None, None, None)
    if value is None:
        raise Refused("Hãy chọn tỉnh, chủ đề hoặc mã chiến dịch cho đối tượng nhận")
    if target == "province":
        return check_target(value, None, None)
    if target == "topic":
        return check_target(None, value, None)
    return check_target(None, None, value)


@routes.post("/announcements")
@requires("editor")
async def create(request: web.Request) -> web.StreamResponse:
    """Preview an announcement, or write it (now or at a time)."""
    posted = await request.post()
    form = {k: str(posted.get(k, "")) for k in ("text", "target", "value", "at", "action")}
    try:
        text = check_text(form["text"])
        target, value = _form_target(form)
        send_at = parse_time(form["at"] or None)
    except Refused as exc:
        return await _page(request, 400, {**form, "error": str(exc)})
    service = service_of(request)
    if form["action"] == "preview":
        previews = {c: announcement_text(service.kb, text, c) for c in PREVIEW_CHANNELS}
        return await _page(request, 200, {**form, "previews": previews})
    made = await announcements.create(service.store, text, target, value, send_at, created_by=_who(request))
    await audit(request, "announcement_create", f"announcement:{made}", to=target, value=value)
    see_other(f"/admin/announcements/{made}", "announcement_created")


def _who(request: web.Request) -> str:
    from bot.admin.context import signed_in

    return signed_in(request).username


@routes.get("/announcements/{id}")
async def one(request: web.Request) -> web.StreamResponse:
    """One announcement: its text as each channel shows it, and how far it has gone."""
    found = await announcement_rows(service_of(request).store, only=int_param(request.match_info["id"]) or -1)
    if not found:
        raise web.HTTPNotFound()
    kb = service_of(request).kb
    previews = {c: announcement_text(kb, found[0].text, c) for c in PREVIEW_CHANNELS}
    now = dt.datetime.now(dt.UTC)
    return render(request, "announcement.html", a=found[0], previews=previews, now=now)


@routes.post("/announcements/{id}/cancel")
@requires("editor")
async def cancel(request: web.Request) -> web.StreamResponse:
    """Stop an announcement: what has not gone yet never does."""
    announcement_id = int_param(request.match_info["id"]) or -1
    if not await announcements.cancel(service_of(request).store, announcement_id):
        see_other(f"/admin/announcements/{announcement_id}", "announcement_not_cancelled")
    await audit(request, "announcement_cancel", f"announcement:{announcement_id}")
    see_other(f"/admin/announcements/{announcement_id}", "announcement_cancelled")
