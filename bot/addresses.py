"""Where an official's reply goes: the platform chat id, encrypted at rest.

The store knows workers only by a keyed hash, which cannot be turned back into a Telegram or
Zalo chat id. When a worker asks for an official, the service keeps the chat id on the handoff
row, encrypted with a key derived from the hash key; the dashboard decrypts it to deliver the
reply and then clears it. The row (and so the address) also goes when the worker deletes their
data (/xoa), because handoffs cascade with their user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

# Channels whose replies need a platform address; the web chat collects replies by polling.
ADDRESSED_CHANNELS = frozenset({"telegram", "zalo"})
_CONTEXT = b"laodong/delivery-address/v1"


class AddressCipher:
    """Authenticated encryption (Fernet) of delivery addresses.

    The cipher (and `cryptography`, a long import) is made on first use: the web chat and `laodong
    ask` never use it.
    """

    def __init__(self, key: bytes) -> None:
        self._key = base64.urlsafe_b64encode(hmac.new(key, _CONTEXT, hashlib.sha256).digest())

    @cached_property
    def _fernet(self) -> Fernet:
        from cryptography.fernet import Fernet

        return Fernet(self._key)

    def encrypt(self, address: str) -> str:
        return self._fernet.encrypt(address.encode()).decode("ascii")

    def decrypt(self, token: str) -> str | None:
        """The address, or None when the token was not made with this key (or was altered)."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError, ValueError):
            return None
