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

from cryptography.fernet import Fernet, InvalidToken

# Channels whose replies need a platform address; the web chat collects replies by polling.
ADDRESSED_CHANNELS = frozenset({"telegram", "zalo"})
_CONTEXT = b"laodong/delivery-address/v1"


class AddressCipher:
    """Authenticated encryption (Fernet) of delivery addresses."""

    def __init__(self, key: bytes) -> None:
        derived = hmac.new(key, _CONTEXT, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, address: str) -> str:
        return self._fernet.encrypt(address.encode()).decode("ascii")

    def decrypt(self, token: str) -> str | None:
        """The address, or None when the token was not made with this key (or was altered)."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError, ValueError):
            return None
