"""Replies go out in the background; how each delivery ended is recorded against its inquiry."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from bot.channels.common import ChannelStats, Outbox


class Deliveries:
    """Stands in for the store: remembers set_deliveries calls (each a transaction)."""

    def __init__(self) -> None:
        self.status: dict[int, str] = {}
        self.batches: list[dict[int, str]] = []
        self.gate: asyncio.Event | None = None  # set: each write waits for it

    async def set_deliveries(self, statuses: dict[int, str]) -> None:
        self.batches.append(dict(statuses))
        if self.gate is not None:
            await self.gate.wait()
        self.status.update(statuses)


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


async def test_statuses_that_pile_up_during_a_write_share_the_next_one() -> None:
    box, deliveries, stats = outbox()
    deliveries.gate = asyncio.Event()  # the database is slow: the first write hangs

    async def ok() -> None:
        return None

    box.deliver(1, ok())
    while not deliveries.batches:  # the first status is being written
        await asyncio.sleep(0)
    for inquiry_id in range(2, 50):
        box.deliver(inquiry_id, ok())
    box.nothing_to_send(50)
    for _ in range(100):  # every send finishes while the first write still hangs
        await asyncio.sleep(0)
    deliveries.gate.set()
    await box.drain()
    assert deliveries.status == {**{i: "sent" for i in range(1, 50)}, 50: "none"}
    assert deliveries.batches == [{1: "sent"}, {**{i: "sent" for i in range(2, 50)}, 50: "none"}]
    assert stats.as_dict() == {"sent": 49, "none": 1}
