"""The values the filter forms offer."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.admin.context import board_of, labels_of, service_of
from knowledge.model import TOPICS


@dataclass(frozen=True, slots=True)
class Choices:
    provinces: list[tuple[str, str]]
    topics: list[tuple[str, str]]
    channels: list[tuple[str, str]]
    outcomes: list[tuple[str, str]]
    campaigns: list[tuple[str, str]]


async def filter_choices(request: web.Request) -> Choices:
    labels = labels_of(request)
    kb = service_of(request).kb
    return Choices(
        provinces=[(p.id, p.name) for p in kb.provinces.values()],
        topics=[(t, labels.topic(t)) for t in TOPICS],
        channels=list(labels.data["channels"].items()),
        outcomes=list(labels.data["outcomes"].items()),
        campaigns=[(c.code, f"{c.code} — {c.name}") for c in await board_of(request).campaigns()],
    )
