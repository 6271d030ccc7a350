"""Replies go out in the background; how each delivery ended is recorded against its inquiry."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from bot.channels.common import ChannelStats, Outbox


class Deliveries:
    """Stands in for the store: remembers set_delivery calls."""

    def __init__(self) -> None:
        self.status: dict[int, str] = {}

    async def set_delivery(self, inquiry_id: int, status: str) -> None:
        self.status[inquiry_id] = status


def outbox() -> tuple[Outbox, Deliveries, ChannelStats]:
    deliveries, stats = Deliveries(), ChannelStats()
    service: Any = SimpleNamespace(store=deliveries)
    return Outbox(service, stats), deliveries, stats


async def test_sent_failed_and_cut_short_by_shutdown() -> None:
    box, deliveries, stats = outbox()
    never = asyncio.Event()

    async def ok() -> None:
        return None

    async def refused() -> None:
        raise RuntimeError("Forbidden: bot was blocked by the user")

    async def stuck() -> None:
        await never.wait()

    box.deliver(1, ok())
    box.deliver(2, refused())
    await box.drain()
    box.deliver(3, stuck())
    await box.close(timeout=0)
    assert deliveries.status == {1: "sent", 2: "failed", 3: "failed"}
    assert stats.as_dict() == {"sent": 1, "failed": 2}
    assert box.pending == 0


async def test_a_failing_side_call_is_only_logged() -> None:
    box, deliveries, _ = outbox()

    async def spinner() -> None:
        raise RuntimeError("query is too old")

    box.spawn(spinner())
    await box.drain()
    assert deliveries.status == {}
