"""How far a campaign's people went: link clicks → starts → questions → answered → handoffs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.breakdown import sum_of
from bot.admin.filters import is_question
from bot.admin.texts import as_utc
from bot.store.models import Campaign, CampaignEvent, Handoff, Inquiry, User
from bot.store.store import Store


@dataclass(frozen=True, slots=True)
class Funnel:
    """One campaign's funnel: people at each step (and questions, handoffs)."""

    code: str
    name: str
    province: str | None
    created_at: dt.datetime
    clicks: int = 0
    starts: int = 0
    askers: int = 0
    questions: int = 0
    answered_users: int = 0
    answered: int = 0
    handoff_users: int = 0
    handoffs: int = 0


def funnel_chart(funnel: Funnel) -> list[tuple[str, int]]:
    """The funnel's steps in people (clicks are link opens): keys of the template's step names."""
    return [
        ("clicks", funnel.clicks),
        ("starts", funnel.starts),
        ("askers", funnel.askers),
        ("answered_users", funnel.answered_users),
        ("handoff_users", funnel.handoff_users),
    ]


async def campaign_list(store: Store) -> list[Campaign]:
    """Every campaign, newest first."""
    async with store.sessions() as session:
        return list((await session.execute(select(Campaign).order_by(Campaign.created_at.desc()))).scalars())


async def _by_code(session: AsyncSession, query: Any) -> dict[str, tuple[int, ...]]:
    """Rows (code, numbers…) as code → numbers."""
    return {str(r[0]): tuple(int(v or 0) for v in r[1:]) for r in (await session.execute(query)).all()}


async def _steps(session: AsyncSession, codes: Sequence[str]) -> list[dict[str, tuple[int, ...]]]:
    """Per campaign code: clicks, starts, (askers, questions, answered people, answered), (handoff people, handoffs)."""
    clicks = (
        select(CampaignEvent.code, func.count())
        .where(CampaignEvent.kind == "click", CampaignEvent.code.in_(codes))
        .group_by(CampaignEvent.code)
    )
    starts = select(User.campaign, func.count()).where(User.campaign.in_(codes)).group_by(User.campaign)
    asked = (
        select(
            Inquiry.campaign,
            func.count(distinct(Inquiry.user_id)),
            func.count(),
            func.count(distinct(case((Inquiry.answered.is_(True), Inquiry.user_id)))),
            sum_of(Inquiry.answered.is_(True)),
        )
        .where(Inquiry.campaign.in_(codes), is_question())
        .group_by(Inquiry.campaign)
    )
    handed = (
        select(User.campaign, func.count(distinct(Handoff.user_id)), func.count())
        .join(User, User.id == Handoff.user_id)
        .where(User.campaign.in_(codes))
        .group_by(User.campaign)
    )
    return [await _by_code(session, q) for q in (clicks, starts, asked, handed)]


async def read_funnels(store: Store, code: str | None = None) -> list[Funnel]:
    """Every campaign's funnel (or one campaign's), newest campaign first."""
    async with store.sessions() as session:
        query = select(Campaign).order_by(Campaign.created_at.desc())
        if code is not None:
            query = query.where(Campaign.code == code)
        campaigns = list((await session.execute(query)).scalars())
        if not campaigns:
            return []
        clicks, starts, asked, handed = await _steps(session, [c.code for c in campaigns])
    found = []
    for c in campaigns:
        a = asked.get(c.code, (0, 0, 0, 0))
        h = handed.get(c.code, (0, 0))
        found.append(
            Funnel(
                code=c.code,
                name=c.name,
                province=c.province,
                created_at=as_utc(c.created_at),
                clicks=clicks.get(c.code, (0,))[0],
                starts=starts.get(c.code, (0,))[0],
                askers=a[0],
                questions=a[1],
                answered_users=a[2],
                answered=a[3],
                handoff_users=h[0],
                handoffs=h[1],
            )
        )
    return found
