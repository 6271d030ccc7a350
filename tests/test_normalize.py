"""Normalisation of Vietnamese as workers type it (design.md §4)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nlu.normalize as normalize_module
from actions.places import words
from bot.privacy import entering
from nlu.normalize import fold, fold_key, normalize, normalize_uncached


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Đi XKLĐ Nhật cần gì???", "di xuat khau lao dong nhat can gi"),
        ("di xkld nhat can gi", "di xuat khau lao dong nhat can gi"),
        ("ko dc j", "khong duoc gi"),
        ("đi lđ nc ngoài", "di lao dong nuoc ngoai"),
        ("khongggg biet", "khong biet"),
        ("bhxh 😀👍 !!!", "bao hiem xa hoi"),
        ("...hỏi,,, về   học nghề", "hoi ve hoc nghe"),
        ("\u00d0i làm", "di lam"),  # Ð (eth) typed for Đ
        # "đt" after "số" is a phone number, elsewhere training
        ("số đt là gì ạ", "so dien thoai la gi a"),
        ("đt nghề ở đâu", "dao tao nghe o dau"),
    ],
)
def test_folded_view_expands_what_workers_type(typed: str, folded: str) -> None:
    assert normalize(typed).folded == folded


def test_nfd_and_nfc_input_give_the_same_views() -> None:
    text = "Người lao động đi làm việc ở nước ngoài"
    nfd = unicodedata.normalize("NFD", text)
    words = text.split()
    mixed = " ".join(w if i % 2 else unicodedata.normalize("NFD", w) for i, w in enumerate(words))
    assert normalize(nfd) == normalize(text) == normalize(mixed)
    assert normalize(nfd).accented == "người lao động đi làm việc ở nước ngoài"


@pytest.mark.parametrize(("old", "new"), [("hoà", "hòa"), ("khoẻ", "khỏe"), ("thuỷ", "thủy"), ("Hoà Bình", "hòa bình")])
def test_old_and_new_tone_placement_are_one(old: str, new: str) -> None:
    assert normalize(old).accented == normalize(new).accented == new


def test_tone_stays_where_both_styles_agree() -> None:
    assert normalize("quý khách hoàng").accented == "quý khách hoàng"


def test_invisible_and_control_characters_are_dropped() -> None:
    assert normalize("xk\u200bld\u0000 nhat\u202e").folded == "xuat khau lao dong nhat"


def test_blank_and_emoji_only_messages_are_blank() -> None:
    assert normalize("   ").is_blank
    assert normalize("👍👍").is_blank
    assert not normalize("xkld").is_blank


@given(st.text(max_size=300))
def test_any_text_normalises_to_ascii_words(text: str) -> None:
    norm = normalize(text)
    assert norm.folded.isascii()
    assert norm.folded == norm.folded.strip()
    assert normalize(norm.accented).folded == norm.folded


def test_the_cached_views_agree_with_uncached_ones() -> None:
    for text in ("Hoà bình", "di XKLĐ nhat ko", "cty  TNHH ABC", ""):
        assert normalize(text) == normalize_uncached(text)
        assert normalize(text, {"cty": "cong ty"}) == normalize_uncached(text, {"cty": "cong ty"})
        assert fold(text) == normalize_module._fold(text)


def test_text_never_redacted_is_never_cached() -> None:
    """Raw text (the boundary's input, an official's search, a list file) leaves no trace in the caches."""
    before = (normalize_module._cached_views.cache_info(), fold.cache_info(), words.cache_info())
    raw = "số tôi 0912 345 678, CCCD 001234567890"
    entering(raw, 4000)
    fold_key(raw)
    normalize_uncached(raw)
    assert (normalize_module._cached_views.cache_info(), fold.cache_info(), words.cache_info()) == before
