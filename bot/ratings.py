"""A rating typed as a number, where the platform has no 👍/👎 buttons (Zalo).

Right after an answer that asked "was this useful?", "1" is 👍 and "0" is 👎 — unless the
answer listed options, where "1" picks option 1. Whether the answer was the last reply is the
store's to say, so the core decides this on the state it loaded (BotService.handle).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.store.store import Store

FEEDBACK_UP = "f:1"  # the payload of 👍 (actions/respond.py's feedback)
FEEDBACK_DOWN = "f:0"
TYPED = {"1": FEEDBACK_UP, "0": FEEDBACK_DOWN}


def may_be_rating(kind: str, text: str) -> bool:
    """Whether a message could be a typed rating at all (a cheap test before reading the store)."""
    return kind == "text" and text.strip() in TYPED


async def typed_rating(store: Store, user_id: str, state: Mapping[str, Any], text: str) -> str | None:
    """The feedback payload a typed "0"/"1" stands for, or None where it is no rating."""
    typed = text.strip()
    if typed not in TYPED or state.get("last_inquiry") is None or (typed == "1" and state.get("options")):
        return None
    latest = await store.inquiries(user_id, limit=1)
    if not latest or latest[-1].id != state["last_inquiry"]:
        return None  # the last reply was not the answer that asked for a rating
    return TYPED[typed]
