"""Sending an official's reply to a worker on their own channel.

The web app holds one `DelivererRegistry` (made by the composition root, `bot.web.app.create_app`);
channel adapters plug in by registering a `Deliverer` for their channel:

    app[DELIVERERS].register("telegram", my_telegram_deliverer)

The web chat needs none: its replies wait in `official_replies` until the chat asks for them
(GET /api/chat/updates, `take_web_replies`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select, update

from bot.admin.models import OfficialReply
from bot.store.models import utcnow
from bot.store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One reply to send: the worker's channel, pseudonym, platform address and the text."""

    channel: str
    user_id: str  # the keyed hash the store knows the worker by
    address: str | None  # the platform chat id (Telegram, Zalo); None for the web chat
    text: str


class Deliverer(Protocol):
    async def deliver(self, delivery: Delivery) -> bool:
        """Send the text; True once the platform accepted it."""
        ...


class WebChatDeliverer:
    """The web chat polls for replies, so a stored reply counts as delivered."""

    async def deliver(self, delivery: Delivery) -> bool:
        return True


class DelivererRegistry:
    """The deliverer of each channel."""

    def __init__(self) -> None:
        self._by_channel: dict[str, Deliverer] = {"web": WebChatDeliverer()}

    def register(self, channel: str, deliverer: Deliverer) -> None:
        self._by_channel[channel] = deliverer

    def get(self, channel: str) -> Deliverer | None:
        return self._by_channel.get(channel)

    def channels(self) -> list[str]:
        return sorted(self._by_channel)

    async def send(self, delivery: Delivery) -> bool:
        """Deliver through the channel's deliverer; False if there is none or it failed."""
        deliverer = self.get(delivery.channel)
        if deliverer is None:
            return False
        try:
            return bool(await deliverer.deliver(delivery))
        except Exception:  # a platform error must not lose the official's reply
            log.exception("delivering an official reply on %s failed", delivery.channel)
            return False


async def take_web_replies(store: Store, user_id: str) -> list[str]:
    """Official replies the web chat has not shown yet, oldest first; marks them shown."""
    now = utcnow()
    async with store.sessions.begin() as session:
        rows = (
            await session.execute(
                select(OfficialReply.id, OfficialReply.text)
                .where(
                    OfficialReply.user_id == user_id,
                    OfficialReply.channel == "web",
                    OfficialReply.delivery == "sent",  # not a reply kept unsent (the request was closed first)
                    OfficialReply.delivered_at.is_(None),
                )
                .order_by(OfficialReply.id)
            )
        ).all()
        if rows:
            ids = [r.id for r in rows]
            await session.execute(update(OfficialReply).where(OfficialReply.id.in_(ids)).values(delivered_at=now))
    return [r.text for r in rows]
