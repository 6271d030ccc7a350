"""Personal data: pseudonymous user ids, and the one boundary where typed text is cut and redacted.

Every format of personal data the bot masks is one row of FORMATS, with the ways people write
it. Each pattern does a bounded amount of work at each position of the text (bounded
repetitions only, nothing that re-scans the rest of the text), so redaction takes time linear
in the length of the text, whatever the text is.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlu.normalize import clean

PHONE_MASK = "[SĐT]"
ID_MASK = "[SỐ GIẤY TỜ]"
EMAIL_MASK = "[EMAIL]"
ACCOUNT_MASK = "[SỐ TÀI KHOẢN]"
MASKS = (PHONE_MASK, ID_MASK, EMAIL_MASK, ACCOUNT_MASK)

# What a worker may type between the parts of an address or a number.
_AT = r"(?:\s?@\s?|\s(?i:a còng|a cong|acong|\(at\))\s)"
_DOT = r"(?:\s?\.\s?|\s(?i:chấm|cham|dot)\s)"
_PROVIDERS = r"(?i:gmail|googlemail|yahoo|ymail|hotmail|outlook|icloud|live)"
_LOCAL = r"[\w.+-]{1,64}+"
_EMAIL = re.compile(
    r"(?<![\w.+-])(?:"
    # name@domain.tld, spaces around @ and dots allowed, @ spelled out ("a còng"); name@gmail
    rf"{_LOCAL}{_AT}(?:(?:[\w-]{{1,63}}+{_DOT}){{1,4}}[A-Za-z]{{2,10}}|{_PROVIDERS})(?!\w)"
    # the folded or careless form: "nguyen van a gmail com" (up to three words before the provider)
    rf"|(?:{_LOCAL}\s){{1,3}}{_PROVIDERS}(?:{_DOT}|\s)(?i:com|vn)(?:{_DOT}(?i:vn))?(?!\w)"
    r")"
)
# An address holds one of these (lower case); the pattern runs only on the text around them.
_EMAIL_ANCHORS: tuple[str, ...] = ("@", " a còng ", " a cong ", " acong ", "(at)", "gmail", "yahoo", "ymail")
_EMAIL_ANCHORS += ("hotmail", "outlook", "icloud", "live")
_BEFORE, _AFTER = 3 * 66 + 8, 4 * 70 + 30  # the most an address reaches before and after its anchor

# A run of digits, with up to two spaces, dots, dashes or brackets between them: phone numbers
# in every form, ID, bank account and card numbers. What the run is (and whether it is personal
# at all) is decided by its digits (_number_mask); a passport's letters are looked for before it.
_NUMBER_RUN_DIGITS = 32
_NUMBER = re.compile(rf"\d(?:[ .\-()]{{0,2}}\d){{0,{_NUMBER_RUN_DIGITS - 1}}}")
_NUMBER_HEAD = re.compile(r"(?:\(\s?\+?|\+)\s?\Z")  # "(", "+", "(+ " just before a phone number
# Passports: one or two letters, then 7 or 8 digits ("C1234567", "C 1234567", "AB1234567").
_PASSPORT_HEAD = re.compile(r"(?<![A-Za-z0-9_])(?:[A-Za-z]{1,2}|[A-Za-z][ .\-])\Z")
# Money written in thousands ("150.000.000 đồng") is not an ID number.
_NON_DIGIT = re.compile(r"\D")
_THOUSANDS = re.compile(r"\d{1,3}(?:[., ]\d{3})+")
# A count after a number ("… 0912345678 5 triệu", "… 3 năm") is not part of it.
_COUNTED = re.compile(r" \d{1,3}\Z")
_UNIT = re.compile(
    r"\s{0,2}(?:triệu|trieu|tr|năm|nam|tuổi|tuoi|tháng|thang|người|nguoi|ngày|ngay|lần|lan|usd|man|k)(?!\w)",
    re.IGNORECASE,
)
_CURRENCY = re.compile(
    r"\s{0,2}(?:đồng|đ|dong|vnd|vnđ|usd|\$|yên|yen|won|triệu|trieu|tr|k|nghìn|ngàn|nghin|ngan|tỷ|ty|man|eur|euro|€)(?!\w)",
    re.IGNORECASE,
)


def _number_mask(digits: str) -> str | None:
    """The mask for a run of `digits` (None: an ordinary number)."""
    n = len(digits)
    if digits.startswith("0084") and 13 <= n <= 14:
        return PHONE_MASK
    if digits.startswith("84") and 11 <= n <= 12:
        return PHONE_MASK
    if digits.startswith("0") and 10 <= n <= 11:
        return PHONE_MASK
    if n in (9, 12):
        return ID_MASK  # CMND, CCCD
    if 10 <= n <= 19:
        return ACCOUNT_MASK  # bank account, card number
    if n > 19:
        return ID_MASK  # numbers run together: mask them all
    return None


def _mask_numbers(text: str) -> str:
    """Mask phone, ID, passport, account and card numbers: one pass over the digit runs."""
    out: list[str] = []
    done = 0  # text[:done] is in out
    full_end = -10  # where the last run that reached the bound on its length ended
    for m in _NUMBER.finditer(text):
        start, end = m.span()
        run = m.group()
        digits = _NON_DIGIT.sub("", run)
        mask = _number_mask(digits)
        if start - full_end <= 2:  # the rest of a run longer than one match
            mask = mask or ID_MASK
        if len(digits) == _NUMBER_RUN_DIGITS:
            full_end = end
        if mask is not None and _THOUSANDS.fullmatch(run) and _CURRENCY.match(text, end):
            mask = None  # an amount of money
        counted = _COUNTED.search(run) if mask is not None and _UNIT.match(text, end) else None
        if counted is not None and (head_mask := _number_mask(_NON_DIGIT.sub("", run[: counted.start()]))):
            mask, end = head_mask, start + counted.start()  # "0912345678 5 triệu": the 5 stays
        if mask is None and len(digits) in (7, 8) and digits == run:
            head = _PASSPORT_HEAD.search(text, max(done, start - 3), start)
            if head is not None:
                mask, start = ID_MASK, head.start()
        elif mask is not None:
            head = _NUMBER_HEAD.search(text, max(done, start - 4), start)
            if head is not None and ("+" in head.group() or ")" in run):  # "(+84) 912…", "(091) 234…"
                start = head.start()
        if mask is not None:
            out += (text[done:start], mask)
            done = end
    out.append(text[done:])
    return "".join(out)


def _mask_emails(text: str) -> str:
    """Mask e-mail addresses: the pattern runs on the stretches around an @ or a provider's name."""
    low = text.lower()
    if len(low) != len(text):  # a letter whose lower case is longer: look for the anchors as typed
        low = text
    spans: list[tuple[int, int]] = []
    for anchor in _EMAIL_ANCHORS:
        at = low.find(anchor)
        while at != -1:
            spans.append((max(0, at - _BEFORE), min(len(text), at + len(anchor) + _AFTER)))
            at = low.find(anchor, at + 1)
    if not spans:
        return text
    spans.sort()
    merged = [list(spans[0])]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    done = 0
    for start, end in merged:
        out += (text[done:start], _EMAIL.sub(EMAIL_MASK, text[start:end]))
        done = end
    out.append(text[done:])
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Format:
    """One kind of personal data: what replaces it, and the ways people write it."""

    name: str
    mask: str
    examples: tuple[str, ...]  # written forms that must be masked (tests/test_privacy.py)


FORMATS: tuple[Format, ...] = (
    Format(
        "email",
        EMAIL_MASK,
        (
            "an.nguyen@gmail.com",
            "x @ gmail.com",
            "nguyen.van.a@congty.com.vn",
            "tuan_88@yahoo.com.vn",
            "ho.ten @ gmail . com",
            "nguyenvana a còng gmail chấm com",
            "nguyen van a gmail com",
            "lan123@gmail",
        ),
    ),
    Format("passport", ID_MASK, ("C1234567", "C 1234567", "AB1234567", "b12345678", "N-1234567")),
    Format(
        "phone",
        PHONE_MASK,
        (
            "0912345678",
            "0912.345.678",
            "0912-345-678",
            "0912 345 678",
            "091 234 5678",
            "(091) 234 5678",
            "+84 912 345 678",
            "(+84) 912 345 678",
            "84912345678",
            "0084912345678",
            "0084 912 345 678",
            "0297 3862 123",
        ),
    ),
    Format("id", ID_MASK, ("001203004567", "0790 9000 1234", "123456789", "381 234 567", "381.234.567")),
    Format(
        "account",
        ACCOUNT_MASK,
        ("19033456789012", "1903 3456 7890 12", "4111 1111 1111 1111", "4111-1111-1111-1111", "0011004567890"),
    ),
)
# The passes that find them: e-mail addresses first (they may hold digits), then every digit run.
_PASSES = (_mask_emails, _mask_numbers)


def redact(text: str) -> str:
    """Mask phone, ID, passport, bank account and card numbers and e-mail addresses (linear time)."""
    for apply in _PASSES:
        text = apply(text)
    return text


def redact_all(value: Any) -> Any:
    """`value` with every string in it redacted, at any depth (a stored state, a record written by
    an older version)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_all(v) for v in value]
    return value


def contains_personal_data(text: str) -> bool:
    """Whether `text` holds personal data, or a mask where some was."""
    return redact(text) != text or any(mask in text for mask in MASKS)


def entering(text: str, limit: int) -> str:
    """Typed text as the bot keeps it: cut to `limit` characters first, cleaned, then redacted.

    Everything after the boundary (understanding, state, records, logs) gets this text only. The
    cut comes before any pattern runs, so a huge message costs no more than a `limit`-long one; a
    number cut in two at the end is dropped rather than kept in part.
    """
    cut = len(text) > limit
    text = clean(text[:limit])[:limit]
    if cut:
        text = _drop_partial_tail(text)
    return redact(text)


_TAIL = frozenset("0123456789 .-()+@_")


def _drop_partial_tail(text: str, most: int = 120) -> str:
    """`text` without the (possibly cut) number or address at its end."""
    end = len(text)
    stop = max(0, end - most)
    while end > stop and (text[end - 1] in _TAIL or text[end - 1].isalnum()):
        end -= 1
    return text[:end]


def redis_id(key: bytes, value: object) -> str:
    """What stands for a platform chat id in a Redis key name (a keyed hash, never the id)."""
    return hmac.new(key, f"redis:{value}".encode(), hashlib.sha256).hexdigest()[:32]


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
