"""Campaigns: create one, get its links and QR code, follow its funnel."""

from __future__ import annotations

import io

from aiohttp import web

from bot.admin.auth import requires
from bot.admin.campaigns.funnels import funnel_chart, read_funnels
from bot.admin.context import audit, board_of, render, see_other, service_of
from bot.appkeys import CHANNELS, SETTINGS
from bot.campaigns import RESERVED_CODES, CampaignError, CampaignLinks, create_campaign, is_valid_code, links
from bot.settings import PublicUrlMissing

routes = web.RouteTableDef()


def campaign_links(request: web.Request, code: str) -> CampaignLinks:
    settings = request.config_dict[SETTINGS]
    channels = request.config_dict.get(CHANNELS)
    username = channels.telegram_username() if channels is not None else settings.telegram_bot_username
    try:
        root = settings.public_root()  # never the request's Host header, which the client chooses
    except PublicUrlMissing:
        raise web.HTTPServiceUnavailable(text="set LAODONG_PUBLIC_URL for campaign links and QR codes") from None
    return links(code, root, username)


def problem(code: str, name: str, province: str | None, provinces: dict[str, object]) -> str | None:
    """Why a campaign cannot be created as asked (a key the page explains), or None."""
    if not is_valid_code(code):
        return "code_invalid"
    if code.isdigit() or code.lower() in RESERVED_CODES:
        return "code_reserved"
    if not name.strip() or len(name) > 200:
        return "name_missing"
    if province is not None and province not in provinces:
        return "province_unknown"
    return None


@routes.get("/campaigns")
async def campaigns(request: web.Request) -> web.StreamResponse:
    """Every campaign with its funnel, and the form to add one."""
    funnels = await read_funnels(board_of(request).store)
    return render(request, "campaigns.html", funnels=funnels, provinces=service_of(request).kb.provinces, error=None)


@routes.post("/campaigns")
@requires("admin")
async def create(request: web.Request) -> web.StreamResponse:
    """Add a campaign."""
    form = await request.post()
    code, name = str(form.get("code", "")).strip(), str(form.get("name", "")).strip()
    province = str(form.get("province", "")) or None
    service = service_of(request)
    error = problem(code, name, province, dict(service.kb.provinces))
    if error is None:
        try:
            await create_campaign(service.store, service.kb, code, name, province)
        except CampaignError:
            error = "code_taken"
    if error is not None:
        funnels = await read_funnels(board_of(request).store)
        return render(
            request, "campaigns.html", status=400, funnels=funnels, provinces=service.kb.provinces, error=error
        )
    await audit(request, "campaign_create", f"campaign:{code}", name=name, province=province)
    see_other(f"/admin/campaigns/{code}", "campaign_created")


@routes.get("/campaigns/{code}")
async def campaign(request: web.Request) -> web.StreamResponse:
    """One campaign: its links, QR code and funnel."""
    found = await read_funnels(board_of(request).store, request.match_info["code"])
    if not found:
        raise web.HTTPNotFound()
    funnel = found[0]
    steps = funnel_chart(funnel)
    top = max((n for _k, n in steps), default=0) or 1
    return render(
        request, "campaign.html", funnel=funnel, links=campaign_links(request, funnel.code), steps=steps, top=top
    )


@routes.get("/campaigns/{code}/qr.svg")
async def qr(request: web.Request) -> web.StreamResponse:
    """The QR code of a campaign's landing page (or, with ?for=telegram, its Telegram deep link)."""
    found = await read_funnels(board_of(request).store, request.match_info["code"])
    if not found:
        raise web.HTTPNotFound()
    found_links = campaign_links(request, found[0].code)
    url = found_links.telegram if request.query.get("for") == "telegram" and found_links.telegram else found_links.web
    import qrcode  # qrcode (and Pillow) only when a QR code is drawn
    import qrcode.image.svg

    buffer = io.BytesIO()
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4).save(buffer)
    headers = (
        {"Content-Disposition": f'attachment; filename="qr-{found[0].code}.svg"'} if "download" in request.query else {}
    )
    return web.Response(body=buffer.getvalue(), content_type="image/svg+xml", headers=headers)
