"""Personal data: pseudonymous user ids and redaction of numbers people type."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from pathlib import Path

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Vietnamese phone numbers: 0 or +84/84 then 9–10 digits, spaces, dots or dashes allowed between.
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){8,10}(?!\d)")
# Citizen ID (CCCD, 12 digits), old ID card (CMND, 9 digits), and any other long digit run.
_ID_NUMBER = re.compile(r"(?<!\d)\d{9,12}(?!\d)")
# Passport numbers: one letter then 7–8 digits.
_PASSPORT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]\d{7,8}(?!\d)")

PHONE_MASK = "[SĐT]"
ID_MASK = "[SỐ GIẤY TỜ]"
EMAIL_MASK = "[EMAIL]"


def redact(text: str) -> str:
    """Mask phone numbers, ID and passport numbers and e-mail addresses."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _PHONE.sub(PHONE_MASK, text)
    text = _ID_NUMBER.sub(ID_MASK, text)
    return _PASSPORT.sub(ID_MASK, text)


def pseudonym(key: bytes, channel: str, platform_id: str) -> str:
    """The keyed hash that stands for a user in every record."""
    return hmac.new(key, f"{channel}:{platform_id}".encode(), hashlib.sha256).hexdigest()[:40]


def load_or_create_key(configured: str | None, data_dir: Path) -> bytes:
    """The hash key from settings, or (development) a random one kept under data_dir."""
    if configured:
        return configured.encode()
    path = data_dir / "hash.key"
    if path.exists():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    path.write_bytes(key)
    path.chmod(0o600)
    return key
