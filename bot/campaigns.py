"""Campaigns: the codes on posters and links, their links and QR codes, and whom they bring.

A code follows Telegram's deep-link payload rules (1–64 of A–Z a–z 0–9 _ -), so one code
works in `https://t.me/<bot>?start=CODE`, in the landing page `/c/CODE`, and typed on Zalo.
The first campaign that brings a user is kept (the store keeps first touch); a campaign
with a province sets the province of a user who has not got one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError

from bot.privacy import redact
from bot.store.models import Campaign
from bot.store.store import Store
from knowledge.model import KnowledgeBase

CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Typed on Zalo or the web chat, these are commands or option numbers, never campaign codes.
RESERVED_CODES = frozenset({"start", "help", "menu", "tinh", "nguoi", "canbo", "xoa", "ma", "huong-dan"})
TYPED_CODE_CHANNELS = frozenset({"zalo", "web"})
UNKNOWN = "unknown"
# `/start dk-CODE` (a landing page's "🔔 Nhận thông báo"): CODE's campaign, and a subscription at once.
SUBSCRIBE_PREFIX = "dk-"
SUBSCRIBE_TEXT = "/dangky"
CLICK = "click"


class CampaignError(ValueError):
    """A campaign that cannot be created as asked."""


@dataclass(frozen=True, slots=True)
class CampaignLinks:
    telegram: str | None  # the deep link, when the bot's username is known
    web: str  # the landing page, which offers Telegram, Zalo and the web chat


def is_valid_code(code: str) -> bool:
    """Whether `code` follows Telegram's deep-link payload rules."""
    return CODE_PATTERN.fullmatch(code) is not None


def start_payload(text: str) -> str | None:
    """The argument of a `/start ARG` message ("" for a bare /start), or None if it is no /start."""
    command, _, arg = text.strip().partition(" ")
    if command.split("@", 1)[0].lower() != "/start":
        return None
    return arg.strip()


def telegram_link(bot_username: str, code: str | None = None) -> str:
    """The t.me link that opens the bot, starting it with `code` if given."""
    base = f"https://t.me/{bot_username.lstrip('@')}"
    return f"{base}?start={code}" if code else base


def subscribe_payload(code: str) -> str | None:
    """The start payload that brings a worker in through `code` and subscribes them (None if too long)."""
    payload = SUBSCRIBE_PREFIX + code
    return payload if is_valid_code(payload) else None


def landing_path(code: str) -> str:
    return f"/c/{quote(code, safe='')}"


def links(code: str, public_url: str, bot_username: str | None) -> CampaignLinks:
    """The links to print and to put behind a campaign's QR code."""
    return CampaignLinks(
        telegram=telegram_link(bot_username, code) if bot_username else None,
        web=public_url.rstrip("/") + landing_path(code),
    )


def write_qr(url: str, directory: Path, code: str) -> tuple[Path, Path]:
    """Write a QR code for `url` as `<code>.png` and `<code>.svg` (for posters); returns both paths."""
    import qrcode
    import qrcode.image.svg

    directory.mkdir(parents=True, exist_ok=True)
    png, svg = directory / f"{code}.png", directory / f"{code}.svg"
    qrcode.make(url, box_size=12, border=4).save(png)
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=4).save(svg)
    return png, svg


async def create_campaign(store: Store, kb: KnowledgeBase, code: str, name: str, province: str | None) -> Campaign:
    """Add a campaign after checking its code, name and province."""
    if not is_valid_code(code):
        raise CampaignError(f"code {code!r}: use 1–64 of A–Z a–z 0–9 _ - (Telegram's deep-link rules)")
    if code.isdigit() or code.lower() in RESERVED_CODES:
        raise CampaignError(f"code {code!r}: a number or command word would be read as one; pick another")
    if code.lower().startswith(SUBSCRIBE_PREFIX):
        raise CampaignError(f"code {code!r}: {SUBSCRIBE_PREFIX!r} starts the subscription links; pick another")
    if not name.strip():
        raise CampaignError("the campaign needs a --name")
    if province is not None and province not in kb.provinces:
        raise CampaignError(f"unknown province {province!r}; use one of: {', '.join(kb.provinces)}")
    if await store.campaign(code, ignore_case=True) is not None:
        raise CampaignError(f"a campaign with code {code!r} exists already")
    try:
        await store.add_campaign(code, name.strip(), province)
    except IntegrityError as exc:
        raise CampaignError(f"a campaign with code {code!r} exists already") from exc
    found = await store.campaign(code)
    assert found is not None
    return found


@dataclass(frozen=True, slots=True)
class Attribution:
    """The campaign a message names, and the message as it is answered."""

    code: str
    text: str  # "/start CODE": a code typed alone is answered as the start it stands for; "/dangky" for dk-CODE
    province: str | None  # the campaign's province, if it has one


def _typed_code(channel: str, kind: str, text: str) -> str | None:
    """A word typed on Zalo or the web chat that may be a campaign code (checked against the store)."""
    if channel not in TYPED_CODE_CHANNELS or kind != "text":
        return None
    word = text.strip()
    if len(word) < 3 or word.isdigit() or word.lower() in RESERVED_CODES or not is_valid_code(word):
        return None
    return word


async def attribution(store: Store, channel: str, kind: str, text: str) -> Attribution | None:
    """The campaign a `/start CODE` (or, on Zalo and web, a code typed alone) names; None for
    none. An unknown `/start` code is counted for the campaign report (redacted)."""
    payload = start_payload(text) if kind == "text" else None
    if payload:
        campaign = await store.campaign(payload) if is_valid_code(payload) else None
        subscribing = campaign is None and payload.startswith(SUBSCRIBE_PREFIX)
        if subscribing:
            campaign = await store.campaign(payload.removeprefix(SUBSCRIBE_PREFIX))
        if campaign is None:  # greeted as usual; the code is kept for the campaign report
            await store.campaign_event(redact(payload[:64]), UNKNOWN, channel)
            return None
        return Attribution(campaign.code, SUBSCRIBE_TEXT if subscribing else text, campaign.province)
    typed = _typed_code(channel, kind, text) if payload is None else None
    campaign = await store.campaign(typed, ignore_case=True) if typed else None
    if campaign is None:  # a bare /start, or a word that is no campaign code
        return None
    return Attribution(campaign.code, f"/start {campaign.code}", campaign.province)
