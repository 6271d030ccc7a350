"""What a channel offers the announcement sender, and how a send can end (no imports of ours:
the channels import this, the sender uses it)."""

from __future__ import annotations

from typing import Protocol

DEFAULT_RETRY = 5.0  # seconds before a send the network failed is tried again


class Blocked(Exception):
    """The worker blocked the bot (Telegram 403, Zalo's refusal): not tried again."""


class RetryLater(Exception):
    """The platform asked us to wait (429) or could not be reached: try again after `seconds`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry in {seconds:.1f} s")
        self.seconds = seconds


class Transport(Protocol):
    async def send_announcement(self, chat_id: str, text: str) -> None:
        """Send one message, paced behind replies; Blocked, RetryLater, or another error (failed)."""
