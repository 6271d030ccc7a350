"""The store: the inquiry log and conversation state (records.py), the durable outbox (outbox.py)
and the campaigns' counts (campaigns.py) over one database (database.py: one SQLAlchemy async
engine, SQLite by default, PostgreSQL in production).

`Store` is what the rest of the bot opens (bot/store/opening.py); the names callers use with
it are exported here.
"""

from __future__ import annotations

from bot.store.campaigns import CampaignLog, CampaignStats
from bot.store.database import MIGRATIONS_DIR, async_url, script_heads
from bot.store.outbox import Outbox, OutboxClaim
from bot.store.records import Forgotten, InquiryLog, TurnRecord
from bot.store.statements import typed_statement

__all__ = [
    "MIGRATIONS_DIR",
    "CampaignStats",
    "Forgotten",
    "OutboxClaim",
    "Store",
    "TurnRecord",
    "async_url",
    "script_heads",
    "typed_statement",
]


class Store(InquiryLog, Outbox, CampaignLog):
    """Async access to the inquiry log, conversation state, outbox and campaigns."""
