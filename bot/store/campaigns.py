"""Campaigns as the store keeps them: the campaigns, their landing-page events, and how far each reached."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.database import Database
from bot.store.models import Campaign, CampaignEvent, Inquiry, User, utcnow


@dataclass(frozen=True, slots=True)
class CampaignStats:
    """How far one campaign reached."""

    code: str
    name: str
    province: str | None
    clicks: int = 0
    users: int = 0
    inquiries: int = 0


class CampaignLog(Database):
    """Campaigns, their clicks and unknown codes, and the campaign that first brought a user."""

    async def first_campaign(self, user_id: str) -> str | None:
        """The campaign that first brought a user (first touch), if any."""
        async with self.sessions() as session:
            return await session.scalar(select(User.campaign).where(User.id == user_id))

    async def add_campaign(self, code: str, name: str, province: str | None) -> None:
        async with self.sessions.begin() as session:
            session.add(Campaign(code=code, name=name, province=province))

    async def campaign(self, code: str, ignore_case: bool = False) -> Campaign | None:
        """The campaign with this code (typed codes match whatever their case)."""
        async with self.sessions() as session:
            if not ignore_case:
                return await session.get(Campaign, code)
            found = await session.execute(select(Campaign).where(func.lower(Campaign.code) == code.lower()).limit(1))
            return found.scalars().first()

    async def campaign_event(self, code: str, kind: str, channel: str) -> None:
        """Count a landing-page click or an unknown start code."""
        async with self.sessions.begin() as session:
            session.add(CampaignEvent(code=code[:64], kind=kind, channel=channel, created_at=utcnow()))

    async def campaign_stats(self) -> list[CampaignStats]:
        """Every campaign with its clicks, users and inquiries."""
        clicks = select(CampaignEvent.code, func.count()).where(CampaignEvent.kind == "click")
        async with self.sessions() as session:
            campaigns = (await session.execute(select(Campaign).order_by(Campaign.created_at))).scalars().all()
            by_clicks = await _counts(session, clicks.group_by(CampaignEvent.code))
            by_users = await _counts(session, select(User.campaign, func.count()).group_by(User.campaign))
            by_inquiries = await _counts(session, select(Inquiry.campaign, func.count()).group_by(Inquiry.campaign))
        return [
            CampaignStats(
                code=c.code,
                name=c.name,
                province=c.province,
                clicks=by_clicks.get(c.code, 0),
                users=by_users.get(c.code, 0),
                inquiries=by_inquiries.get(c.code, 0),
            )
            for c in campaigns
        ]

    async def unknown_campaign_codes(self) -> dict[str, int]:
        """Codes people started with or clicked that name no campaign, with how often."""
        query = select(CampaignEvent.code, func.count()).where(CampaignEvent.kind == "unknown")
        async with self.sessions() as session:
            return await _counts(session, query.group_by(CampaignEvent.code))


async def _counts(session: AsyncSession, query: Select[Any]) -> dict[str, int]:
    """A {key: count} mapping from a two-column GROUP BY query (NULL keys left out)."""
    rows = (await session.execute(query)).tuples().all()
    return {key: int(n) for key, n in rows if key is not None}
