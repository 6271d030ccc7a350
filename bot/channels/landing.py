"""The page behind a campaign link or poster QR code: count the click, offer Telegram, Zalo, web chat.

Zalo carries no start payload, so the page asks Zalo users to send the campaign code first;
the web chat entry sets a short-lived cookie that the web chat's first /start turns into
`/start CODE`.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping
from pathlib import Path
from string import Template

from aiohttp import web

from bot.appkeys import CHANNELS, LANDING_LIMITS
from bot.campaigns import CLICK, is_valid_code, subscribe_payload, telegram_link
from bot.store.models import Campaign
from bot.web.limits import address_allowed

TEMPLATE_FILE = Path(__file__).with_name("landing.html")
START_COOKIE = "ld_start"  # the campaign a web chat should start with (read by the web chat API)
START_COOKIE_AGE = 3600


@functools.cache
def page_template() -> Template:
    """The page's HTML template, read on the first visit (nothing is read at import)."""
    return Template(TEMPLATE_FILE.read_text(encoding="utf-8"))


def _entry(label: str, href: str | None = None, note: str = "") -> str:
    """One way in: a link (or, with nowhere to link, the label), and what to do there."""
    head = f'<a href="{html.escape(href)}" rel="noopener">{html.escape(label)}</a>' if href else html.escape(label)
    return f'<p class="msg bot">{head}' + (f"<br>{html.escape(note)}" if note else "") + "</p>"


def _subscribe_entries(texts: Mapping[str, str], code: str, telegram_username: str | None) -> str:
    """The campaign's announcements: a link that subscribes on Telegram and on the web chat, the way on Zalo."""
    payload = subscribe_payload(code) or code
    parts = [f'<p class="msg bot">{html.escape(texts["subscribe"])}</p>']
    if telegram_username:
        parts.append(_entry(texts["subscribe_telegram"], telegram_link(telegram_username, payload)))
    parts.append(_entry(texts["subscribe_web"], f"/c/{code}/web?dk=1", texts["subscribe_zalo"].format(code=code)))
    return "\n".join(parts)


def render_landing(
    texts: Mapping[str, str], campaign: Campaign | None, telegram_username: str | None, zalo_url: str | None
) -> str:
    """The landing page's HTML (every value escaped); without a campaign, plain entries."""
    code = campaign.code if campaign else None
    entries = []
    if telegram_username:
        entries.append(_entry(texts["telegram"], telegram_link(telegram_username, code)))
    zalo_note = texts["zalo_code"].format(code=code) if code else texts["zalo_find"]
    entries.append(_entry(texts["zalo"], zalo_url, zalo_note))
    entries.append(_entry(texts["web"], f"/c/{code}/web" if code else "/"))
    if code and subscribe_payload(code):
        entries.append(_subscribe_entries(texts, code, telegram_username))
    heading = texts["campaign"].format(name=campaign.name) if campaign else ""
    return page_template().substitute(
        title=html.escape(texts["title"]),
        intro=html.escape(texts["intro"]),
        campaign=f'<p class="msg bot">{html.escape(heading)}</p>' if heading else "",
        entries="\n".join(entries),
    )


async def landing(request: web.Request) -> web.Response:
    """Count a campaign link's click and offer Telegram, Zalo and the web chat."""
    channels = request.app[CHANNELS]
    service = channels.core()
    code = request.match_info["code"]
    campaign = await service.store.campaign(code) if is_valid_code(code) else None
    # Only a real campaign's click is counted, and only within the address's budget: anyone may
    # request /c/<anything>, and nothing they make up becomes a row.
    if campaign is not None and await address_allowed(request, LANDING_LIMITS, channels.settings, service):
        await service.store.campaign_event(campaign.code, CLICK, "web")
    page = render_landing(
        service.kb.responses["landing"], campaign, channels.telegram_username(), channels.settings.zalo_bot_url
    )
    return web.Response(text=page, content_type="text/html", headers={"Cache-Control": "no-store"})


async def start_web_chat(request: web.Request) -> web.StreamResponse:
    """Open the web chat so that it starts with this campaign."""
    code = request.match_info["code"]
    store = request.app[CHANNELS].core().store
    response = web.HTTPFound("/")
    if is_valid_code(code) and await store.campaign(code) is not None:
        start = (subscribe_payload(code) if request.query.get("dk") == "1" else None) or code
        response.set_cookie(START_COOKIE, start, httponly=True, samesite="Lax", max_age=START_COOKIE_AGE)
    raise response
