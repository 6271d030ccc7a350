"""The announcements' reads and writes, over the Store's engine (its own module: store.py stays small).

A subscription is one active row per worker (cancelled rows are kept, address erased, for the
counts). An announcement becomes deliveries when it is due: one row per matching subscriber,
written once (the announcement moves from scheduled to sending in the same transaction). Every
`serve` process claims pending deliveries in small batches for a lease (PostgreSQL: FOR UPDATE
SKIP LOCKED; SQLite: one writer), sends them one at a time, and writes each result before the
next send, so a process killed mid-way leaves at most its one in-flight message to be sent again
once the lease runs out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, and_, case, delete, func, insert, literal, or_, select, update

from bot.announce.models import Announcement, AnnouncementDelivery, Subscription
from bot.store.models import User, utcnow
from bot.store.store import Store

SUBSCRIPTIONS: Table = Subscription.__table__  # type: ignore[assignment]
ANNOUNCEMENTS: Table = Announcement.__table__  # type: ignore[assignment]
DELIVERIES: Table = AnnouncementDelivery.__table__  # type: ignore[assignment]
USERS: Table = User.__table__  # type: ignore[assignment]

TARGETS = ("all", "province", "topic", "campaign")
SENT_CHANNELS = ("telegram", "zalo")  # sent by the serve processes; the web chat collects its own
DELIVERED_CHANNELS = (*SENT_CHANNELS, "web")  # `laodong chat` (cli) subscriptions get nothing
MAX_TEXT = 1900  # with the header and the /huy line, one Zalo message (2000); Telegram takes 4096
STATES = ("pending", "sent", "failed", "blocked", "unsubscribed", "cancelled")


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this process holds: where (encrypted), what, and how many times it was claimed."""

    id: int
    announcement_id: int
    channel: str
    address: str | None  # None: the worker left (cancelled, erased) — not sent
    text: str
    attempts: int


async def subscribe(
    store: Store,
    user_id: str,
    channel: str,
    address: str | None,
    province: str | None,
    topics: Sequence[str] = (),
) -> bool:
    """Start (or update) the worker's subscription; True when it is new."""
    now = utcnow()
    active = and_(SUBSCRIPTIONS.c.user_id == user_id, SUBSCRIPTIONS.c.cancelled_at.is_(None))
    async with store.engine.begin() as conn:
        campaign = await conn.scalar(select(USERS.c.campaign).where(USERS.c.id == user_id))
        found = await conn.scalar(select(SUBSCRIPTIONS.c.id).where(active).limit(1))
        values = {"channel": channel, "address": address, "province": province, "topics": sorted(set(topics))}
        if found is not None:
            await conn.execute(update(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == found).values(**values))
            return False
        await conn.execute(insert(SUBSCRIPTIONS).values(user_id=user_id, campaign=campaign, created_at=now, **values))
        return True


async def unsubscribe(store: Store, user_id: str) -> bool:
    """Stop the worker's subscription at once: address erased, announcements not yet sent to them
    dropped; False when they had none."""
    now = utcnow()
    async with store.engine.begin() as conn:
        ids = list(
            (
                await conn.execute(
                    update(SUBSCRIPTIONS)
                    .where(SUBSCRIPTIONS.c.user_id == user_id, SUBSCRIPTIONS.c.cancelled_at.is_(None))
                    .values(cancelled_at=now, address=None)
                    .returning(SUBSCRIPTIONS.c.id)
                )
            ).scalars()
        )
        if ids:
            await conn.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.subscription_id.in_(ids), DELIVERIES.c.state == "pending")
                .values(state="unsubscribed", claimed_until=None)
            )
        return bool(ids)


async def subscription_of(store: Store, user_id: str) -> dict[str, Any] | None:
    """The worker's active subscription (province, topics, channel), if any."""
    query = select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.user_id == user_id, SUBSCRIPTIONS.c.cancelled_at.is_(None))
    async with store.engine.connect() as conn:
        row = (await conn.execute(query.limit(1))).mappings().first()
    return dict(row) if row else None


def _matching(target: str, value: str | None) -> Any:
    """The WHERE clause picking the active subscriptions an announcement goes to."""
    active = and_(SUBSCRIPTIONS.c.cancelled_at.is_(None), SUBSCRIPTIONS.c.channel.in_(DELIVERED_CHANNELS))
    if target == "province":
        return and_(active, SUBSCRIPTIONS.c.province == value)
    if target == "campaign":
        return and_(active, SUBSCRIPTIONS.c.campaign == value)
    return active  # "all"; "topic" is filtered in Python (topics is a JSON list on both databases)


async def create(
    store: Store,
    text: str,
    target: str = "all",
    value: str | None = None,
    send_at: dt.datetime | None = None,
    created_by: str | None = None,
) -> int:
    """Write an announcement (its deliveries at once when due now); its id."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}")
    now = utcnow()
    values = {
        "text": text,
        "target": target,
        "target_value": value,
        "send_at": send_at or now,
        "status": "scheduled",
        "created_by": created_by,
        "created_at": now,
    }
    async with store.engine.begin() as conn:
        announcement_id = int(
            (await conn.execute(insert(ANNOUNCEMENTS).values(**values).returning(ANNOUNCEMENTS.c.id))).scalar_one()
        )
    await release_due(store)
    return announcement_id


async def release_due(store: Store) -> int:
    """Turn every due scheduled announcement into deliveries (once, whichever process gets there);
    how many announcements were released."""
    now = utcnow()
    due = select(ANNOUNCEMENTS.c.id).where(ANNOUNCEMENTS.c.status == "scheduled", ANNOUNCEMENTS.c.send_at <= now)
    released = 0
    async with store.engine.connect() as conn:
        ids = list((await conn.execute(due)).scalars())
    for announcement_id in ids:
        async with store.engine.begin() as conn:
            taken = await conn.execute(
                update(ANNOUNCEMENTS)
                .where(ANNOUNCEMENTS.c.id == announcement_id, ANNOUNCEMENTS.c.status == "scheduled")
                .values(status="sending")
                .returning(ANNOUNCEMENTS.c.target, ANNOUNCEMENTS.c.target_value)
            )
            row = taken.first()
            if row is None:
                continue  # another process released it
            count = await _fan_out(conn, announcement_id, row.target, row.target_value)
            await conn.execute(update(ANNOUNCEMENTS).where(ANNOUNCEMENTS.c.id == announcement_id).values(targets=count))
            released += 1
    return released


async def _fan_out(conn: Any, announcement_id: int, target: str, value: str | None) -> int:
    """One pending delivery per matching subscriber; how many."""
    rows = (
        await conn.execute(
            select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.channel, SUBSCRIPTIONS.c.topics).where(_matching(target, value))
        )
    ).all()
    if target == "topic":
        rows = [r for r in rows if value in (r.topics or [])]
    batch = [
        {"announcement_id": announcement_id, "subscription_id": r.id, "channel": r.channel, "state": "pending"}
        for r in rows
    ]
    for i in range(0, len(batch), 1000):
        await conn.execute(insert(DELIVERIES), batch[i : i + 1000])
    return len(batch)


async def claim(
    store: Store, worker: str, lease: float, limit: int = 20, channels: Sequence[str] = SENT_CHANNELS
) -> list[Claimed]:
    """Hold up to `limit` pending deliveries on `channels` no process holds (or whose holder's lease ran out)."""
    now = utcnow()
    free = or_(DELIVERIES.c.claimed_until.is_(None), DELIVERIES.c.claimed_until < now)
    due = (
        select(DELIVERIES.c.id)
        .where(DELIVERIES.c.state == "pending", DELIVERIES.c.channel.in_(list(channels)), free)
        .order_by(DELIVERIES.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    take = (
        update(DELIVERIES)
        .where(DELIVERIES.c.id.in_(due.scalar_subquery()))
        .values(
            claimed_by=worker[:64], claimed_until=now + dt.timedelta(seconds=lease), attempts=DELIVERIES.c.attempts + 1
        )
        .returning(DELIVERIES.c.id)
    )
    async with store.engine.begin() as conn:
        ids = list((await conn.execute(take)).scalars())
        if not ids:
            return []
        query = (
            select(
                DELIVERIES.c.id,
                DELIVERIES.c.announcement_id,
                DELIVERIES.c.channel,
                case((SUBSCRIPTIONS.c.cancelled_at.is_(None), SUBSCRIPTIONS.c.address), else_=None).label("address"),
                ANNOUNCEMENTS.c.text,
                DELIVERIES.c.attempts,
            )
            .select_from(DELIVERIES.join(ANNOUNCEMENTS).outerjoin(SUBSCRIPTIONS))
            .where(DELIVERIES.c.id.in_(ids))
            .order_by(DELIVERIES.c.id)
        )
        return [Claimed(*row) for row in (await conn.execute(query)).all()]


async def hold(store: Store, ids: Sequence[int], lease: float) -> None:
    """Keep holding deliveries still queued in this process."""
    until = utcnow() + dt.timedelta(seconds=lease)
    async with store.engine.begin() as conn:
        await conn.execute(update(DELIVERIES).where(DELIVERIES.c.id.in_(list(ids))).values(claimed_until=until))


async def finish(store: Store, delivery_id: int, state: str, retry_in: float | None = None) -> None:
    """Record how one delivery ended (sent, failed, blocked, unsubscribed), or put it back
    (`state` pending, tried again after `retry_in` seconds). Blocked: the subscription ends too."""
    now = utcnow()
    values: dict[str, Any] = {"state": state, "claimed_until": None}
    if state == "sent":
        values["sent_at"] = now
    if state == "pending":
        values["claimed_until"] = now + dt.timedelta(seconds=retry_in or 0.0)
    written = update(DELIVERIES).where(DELIVERIES.c.id == delivery_id).values(**values)
    if state != "blocked":  # one statement, no BEGIN … COMMIT around it: once for every send
        async with store.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            await conn.execute(written)
        return
    async with store.engine.begin() as conn:
        await conn.execute(written)
        if state == "blocked":
            subscription = select(DELIVERIES.c.subscription_id).where(DELIVERIES.c.id == delivery_id).scalar_subquery()
            await conn.execute(
                update(SUBSCRIPTIONS)
                .where(SUBSCRIPTIONS.c.id == subscription, SUBSCRIPTIONS.c.cancelled_at.is_(None))
                .values(cancelled_at=now, address=None)
            )


async def close_finished(store: Store) -> None:
    """Announcements with nothing pending any more are done (once a round, not once a send)."""
    pending = select(literal(1)).where(
        DELIVERIES.c.announcement_id == ANNOUNCEMENTS.c.id, DELIVERIES.c.state == "pending"
    )
    async with store.engine.begin() as conn:
        await conn.execute(
            update(ANNOUNCEMENTS).where(ANNOUNCEMENTS.c.status == "sending", ~pending.exists()).values(status="done")
        )


async def status(store: Store, announcement_id: int) -> dict[str, int] | None:
    """{"targets", "sent", "failed", "pending", "unsubscribed"} (blocked counts in failed, and is
    also given apart; cancelled too); None for an unknown id."""
    async with store.engine.connect() as conn:
        row = (await conn.execute(select(ANNOUNCEMENTS.c.targets).where(ANNOUNCEMENTS.c.id == announcement_id))).first()
        if row is None:
            return None
        by_state = (
            select(DELIVERIES.c.state, func.count())
            .where(DELIVERIES.c.announcement_id == announcement_id)
            .group_by(DELIVERIES.c.state)
        )
        counts = {str(state): int(n) for state, n in (await conn.execute(by_state)).all()}
    by = {s: int(counts.get(s, 0)) for s in STATES}
    return {
        "targets": int(row.targets),
        "sent": by["sent"],
        "failed": by["failed"] + by["blocked"],
        "pending": by["pending"],
        "unsubscribed": by["unsubscribed"],
        "blocked": by["blocked"],
        "cancelled": by["cancelled"],
    }


async def cancel(store: Store, announcement_id: int) -> bool:
    """Stop an announcement: what was not sent yet never is; False if unknown or already finished."""
    async with store.engine.begin() as conn:
        result = await conn.execute(
            update(ANNOUNCEMENTS)
            .where(ANNOUNCEMENTS.c.id == announcement_id, ANNOUNCEMENTS.c.status.in_(("scheduled", "sending")))
            .values(status="cancelled")
        )
        if not result.rowcount:
            return False
        await conn.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.announcement_id == announcement_id, DELIVERIES.c.state == "pending")
            .values(state="cancelled")
        )
        return True


async def take_web(store: Store, user_id: str) -> list[str]:
    """Announcements waiting for this web chat user (each returned once, marked sent)."""
    now = utcnow()
    query = (
        select(DELIVERIES.c.id, ANNOUNCEMENTS.c.text)
        .select_from(DELIVERIES.join(ANNOUNCEMENTS).join(SUBSCRIPTIONS))
        .where(
            SUBSCRIPTIONS.c.user_id == user_id,
            SUBSCRIPTIONS.c.cancelled_at.is_(None),
            DELIVERIES.c.channel == "web",
            DELIVERIES.c.state == "pending",
        )
        .order_by(DELIVERIES.c.id)
        .with_for_update(skip_locked=True)
    )
    async with store.engine.begin() as conn:
        rows = (await conn.execute(query)).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        await conn.execute(update(DELIVERIES).where(DELIVERIES.c.id.in_(ids)).values(state="sent", sent_at=now))
    return [r.text for r in rows]


async def purge(store: Store, cutoff: dt.datetime) -> None:
    """Retention: cancelled subscriptions and finished announcements older than the cutoff (active
    subscriptions go with their user when the user is purged)."""
    async with store.engine.begin() as conn:
        await conn.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.cancelled_at < cutoff))
        finished = ANNOUNCEMENTS.c.status.in_(("done", "cancelled"))
        await conn.execute(delete(ANNOUNCEMENTS).where(finished, ANNOUNCEMENTS.c.created_at < cutoff))
