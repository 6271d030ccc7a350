"""Vietnamese text normalisation (design.md §4).

Two views of every message: the accented NFC text (for logs and display) and a folded
ASCII view (no diacritics, đ→d, abbreviations expanded) that both engines understand.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from knowledge.yamlfile import read_yaml

ABBREVIATIONS_FILE = Path(__file__).with_name("abbreviations.yaml")

# Old-style placement (tone on the second vowel of an open oa/oe/uy syllable) → the
# placement most phones produce today (hòa, khỏe, thủy).
_OPEN_DIPHTHONG = re.compile(r"(?<!q)(o[ae]|uy)([\u0300\u0301\u0303\u0309\u0323])(?!\w)")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_NON_WORD = re.compile(r"[^0-9a-z%]+")
_SPACES = re.compile(r"\s+")
CACHED_TEXTS = 4096  # recent texts `normalize` and `fold` keep their results for (redacted text only)


@dataclass(frozen=True, slots=True)
class Normalized:
    """A message in its two views."""

    accented: str
    folded: str

    @property
    def is_blank(self) -> bool:
        return not self.folded.strip()


@lru_cache(maxsize=1)
def load_abbreviations(path: Path = ABBREVIATIONS_FILE) -> Mapping[str, str]:
    """Read the abbreviation map (folded token → folded expansion)."""
    data = read_yaml(path) or {}
    return {str(k): str(v) for k, v in data.items()}


def clean(text: str) -> str:
    """Return NFC text with format/control characters gone and Ð mapped to Đ."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cs", "Co", "Cn"):
            continue
        if cat == "Cc":
            kept.append(" " if ch in "\t\n\r" else "")
            continue
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


def unify_tones(text: str) -> str:
    """Move tone marks of open oa/oe/uy syllables to the first vowel (hoà → hòa)."""
    nfd = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _OPEN_DIPHTHONG.sub(lambda m: m[1][0] + m[2] + m[1][1], nfd))


def _fold(text: str) -> str:
    text = text.lower().replace("đ", "d")
    nfd = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in nfd if unicodedata.category(ch) != "Mn")


@lru_cache(maxsize=CACHED_TEXTS)
def fold(text: str) -> str:
    """Strip diacritics: lowercase ASCII, đ → d. Cached: for text past the privacy boundary only
    (bot/privacy.py), as every caller on the message path is."""
    return _fold(text)


def _views(text: str) -> tuple[str, tuple[str, ...]]:
    """The accented view, and the folded words before abbreviations are expanded."""
    accented = _SPACES.sub(" ", unify_tones(clean(text).lower())).strip()
    folded = _REPEATS.sub(r"\1", _fold(accented))
    return accented, tuple(_NON_WORD.sub(" ", folded).split())


_cached_views = lru_cache(maxsize=CACHED_TEXTS)(_views)


def _with_abbreviations(views: tuple[str, tuple[str, ...]], abbreviations: Mapping[str, str] | None) -> Normalized:
    abbreviations = load_abbreviations() if abbreviations is None else abbreviations
    accented, tokens = views
    expanded: list[str] = []
    previous = ""
    for token in tokens:
        pair = abbreviations.get(f"{previous} {token}") if previous else None  # "số đt": a phone, not training
        if pair is not None:
            expanded[-1:] = [pair]
        else:
            expanded.append(abbreviations.get(token, token))
        previous = token
    return Normalized(accented=accented, folded=" ".join(expanded))


def normalize(text: str, abbreviations: Mapping[str, str] | None = None) -> Normalized:
    """Normalise one message into its accented and folded views.

    Cached (a bounded cache of recent texts): call it only on text past the privacy boundary
    (cut and redacted by bot/privacy.py), as the message path does; text typed elsewhere (an
    official's search, a list file's cells) goes through `normalize_uncached`.
    """
    return _with_abbreviations(_cached_views(text), abbreviations)


def normalize_uncached(text: str, abbreviations: Mapping[str, str] | None = None) -> Normalized:
    """`normalize`, keeping nothing: for text that was never redacted."""
    return _with_abbreviations(_views(text), abbreviations)


def fold_key(text: str) -> str:
    """The folded view alone, for comparing names and example questions (and searches: not cached)."""
    return normalize_uncached(text).folded
