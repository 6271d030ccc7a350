"""The durable outbox in the store, on SQLite and the real PostgreSQL: written with the record,
claimed by one process at a time, gone once its delivery is recorded."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from actions.respond import Responder
from actions.types import Policy, Reply
from bot.channels.common import ChannelStats, Outbox
from bot.journal import Journal
from bot.service import BotService, IncomingMessage
from bot.store.store import Store, TurnRecord
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine
from tests.pg import temporary_database
from tests.tcp_proxy import store_behind_proxy


def turn(n: int, **kw: Any) -> TurnRecord:
    fields: dict[str, Any] = {
        "user_id": f"u{n % 7}",
        "channel": "telegram",
        "state": {},
        "province": None,
        "message_kind": "text",
        "text": "hỏi",
        "normalized": "hoi",
        "outcome": "answer",
        "topic": "work_abroad",
        "intent": "faq/x",
        "entry_id": "x",
        "confidence": 0.9,
        "answered": True,
        "engine": "embedded",
        "reply_text": "Trả lời",
        "external_id": f"e{n}",
        "delivery": "pending",
        "outbox_address": f"sealed-{n}",
        "outbox_messages": [{"text": f"reply {n}"}],
        "outbox_lease": 0.0,
    }
    fields.update(kw)
    return TurnRecord(**fields)


async def test_rows_are_written_with_the_record_and_claimed_once(any_store: Store) -> None:
    ids = [await any_store.record(turn(n)) for n in range(40)]
    await any_store.record(turn(99, delivery="none", outbox_address=None, outbox_messages=None))
    await any_store.record(turn(98, handoff_question="gặp cán bộ"))  # the transaction path, not the one statement
    assert await any_store.outbox_size("telegram") == 41
    other = Store(any_store.url)  # a second process
    try:
        first, second = await asyncio.gather(
            any_store.claim_outbox("telegram", lease=60, limit=30), other.claim_outbox("telegram", lease=60, limit=30)
        )
    finally:
        await other.close()
    claimed = [c.inquiry_id for c in first + second]
    assert len(claimed) == len(set(claimed)) == 41  # every row once, none by both
    assert {c.messages[0]["text"] for c in first + second} >= {f"reply {n}" for n in range(40)}
    assert all(c.attempts == 2 for c in first + second)  # the writer's send, then this claim
    assert await any_store.claim_outbox("telegram", lease=60) == []  # held for the lease
    await any_store.set_deliveries({i: "sent" for i in ids})
    assert await any_store.outbox_size() == 1
    [record] = [r for r in await any_store.inquiries(limit=100) if r.external_id == "e99"]
    assert record.delivery == "none"
    assert {r.delivery for r in await any_store.inquiries(limit=100) if r.id in ids} == {"sent"}


async def test_a_process_keeps_holding_what_it_still_sends(any_store: Store) -> None:
    ids = [await any_store.record(turn(n)) for n in range(3)]
    await any_store.hold_outbox(ids[:2], lease=60)  # still in this process's send queue
    [claim] = await any_store.claim_outbox("telegram", lease=60)  # another process takes only the third
    assert claim.inquiry_id == ids[2]


async def test_a_reply_to_a_journaled_record_gets_its_status_once_the_record_is_written(
    kb: KnowledgeBase, engine: EmbeddedEngine, tmp_path: Path
) -> None:
    async with temporary_database() as url:
        store, proxy = await store_behind_proxy(url)
        journal = Journal(tmp_path / "journal")
        service = BotService(kb, engine, Responder(kb, Policy.load()), store, b"k", journal)
        outbox = Outbox(service, ChannelStats(), "telegram")

        def render(reply: Reply) -> list[dict[str, Any]]:
            return [{"text": reply.text}]

        try:
            await proxy.stop()  # the database is gone
            msg = IncomingMessage(channel="telegram", user_ref="1", text="xin chao", external_id="u1", reply_to="1")
            handled = await service.handle(msg, render)
            assert handled.inquiry_id == 0 and not handled.queued and handled.messages  # answered from memory
            line = next((tmp_path / "journal").glob("*.jsonl")).read_text()
            assert '"outbox_address": null' in line  # a replay will not send it again

            async def sent() -> None:
                return None

            outbox.deliver(0, sent(), external_id="u1")
            await outbox.drain()
            await proxy.start()  # the database is back: the journal goes in, then the status
            await service.flush_journal()
            await outbox.pump(lambda _address, _messages: sent(), lease=60)
            [record] = await store.inquiries()
            assert record.external_id == "u1" and record.delivery == "sent"
            assert await store.outbox_size() == 0
        finally:
            await store.close()
            await proxy.stop()
