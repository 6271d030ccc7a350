"""An announcement as each channel shows it (the sender and the dashboard's preview use this)."""

from __future__ import annotations

from knowledge.model import KnowledgeBase


def announcement_text(kb: KnowledgeBase, text: str, channel: str = "telegram") -> str:
    """The message a subscriber gets: a header line, the officials' text, how to stop.

    Plain text on every channel (Telegram is sent without a parse mode, so nothing is markup).
    The web chat collects the same text when it polls.
    """
    return f"{kb.text('announcement_header')}\n\n{text.strip()}\n\n{kb.text('announcement_footer')}"
