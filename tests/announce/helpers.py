"""Subscribers in bulk (users and subscriptions written directly), for delivery tests and the bench."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert

from bot.addresses import AddressCipher
from bot.announce.models import Subscription
from bot.privacy import pseudonym
from bot.store.models import User, utcnow
from bot.store.store import Store


async def add_subscribers(
    store: Store, key: bytes, chats: list[str], channel: str = "telegram", province: str | None = "lao-cai"
) -> None:
    """Each chat a worker subscribed on `channel` (its address encrypted with `key`'s cipher)."""
    cipher = AddressCipher(key)
    now = utcnow()
    users: list[dict[str, object]] = []
    subs: list[dict[str, object]] = []
    for chat in chats:
        user_id = pseudonym(key, channel, chat)
        users.append({"id": user_id, "channel": channel, "province": province, "created_at": now, "last_seen_at": now})
        subs.append(
            {
                "user_id": user_id,
                "channel": channel,
                "address": cipher.encrypt(chat),
                "province": province,
                "topics": [],
                "created_at": now,
            }
        )
    async with store.engine.begin() as conn:
        for i in range(0, len(users), 1000):
            await conn.execute(insert(cast(Table, User.__table__)), users[i : i + 1000])
            await conn.execute(insert(cast(Table, Subscription.__table__)), subs[i : i + 1000])
