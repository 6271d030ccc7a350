"""What the inquiry log must not keep in clear."""

from __future__ import annotations

import pytest

from bot.privacy import ID_MASK, PHONE_MASK, pseudonym, redact


@pytest.mark.parametrize(
    "text",
    [
        "sdt cua toi 0912345678 goi giup",
        "so toi 0912.345.678",
        "lien he +84 912 345 678",
        "zalo 84912345678 nhe",
    ],
)
def test_phone_numbers_are_masked(text: str) -> None:
    redacted = redact(text)
    assert PHONE_MASK in redacted
    assert "345" not in redacted


def test_id_passport_and_email_are_masked() -> None:
    redacted = redact("cccd 001203004567, cmnd 123456789, ho chieu C1234567, mail an.nguyen@gmail.com")
    assert "001203004567" not in redacted
    assert "123456789" not in redacted
    assert "C1234567" not in redacted
    assert "gmail" not in redacted
    assert redacted.count(ID_MASK) == 3


def test_ordinary_numbers_stay() -> None:
    assert redact("di nhat 3 nam, luong 1.000 usd, nam 2025") == "di nhat 3 nam, luong 1.000 usd, nam 2025"


def test_pseudonyms_are_stable_keyed_and_per_channel() -> None:
    a = pseudonym(b"k1", "telegram", "12345")
    assert a == pseudonym(b"k1", "telegram", "12345")
    assert a != pseudonym(b"k2", "telegram", "12345")
    assert a != pseudonym(b"k1", "zalo", "12345")
    assert "12345" not in a
