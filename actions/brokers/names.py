"""The words of a company name: how a name is folded and compared, and the name a message gives.

Pure functions over the matching rules (rules.py); no list needed (directory.py holds the list).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from actions.brokers.rules import MatchingRules
from nlu.normalize import clean, fold, normalize, normalize_uncached

_TRAILING_PUNCT = re.compile(r"[,.;:!?…)\]\"”’]+$")
_LEADING_PUNCT = re.compile(r"^[(\[\"“‘]+")
_REFERENCE = re.compile(r"\d[-/.]?[^\W\d_]|[^\W\d_][-/.]?\d|\d[-/]\d")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def name_tokens(text: str, rules: MatchingRules) -> list[str]:
    """The folded words of a name (cty → cong ty and the like, nothing else expanded); a listed name
    from an official's file, so nothing is cached (a message's words: `folded_words`)."""
    return normalize_uncached(text, rules.abbreviations).folded.split()


@lru_cache(maxsize=16)
def _by_first_word(phrases: tuple[tuple[str, ...], ...]) -> dict[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:  # longest first, as given
        index.setdefault(phrase[0], []).append(phrase)
    return {word: tuple(group) for word, group in index.items()}


def _drop_phrases(tokens: Sequence[str], phrases: tuple[tuple[str, ...], ...]) -> list[str]:
    starting = _by_first_word(phrases)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase in starting.get(tokens[i], ()):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def key_tokens(tokens: Sequence[str], rules: MatchingRules) -> list[str]:
    """A name's words without legal-form words (công ty, TNHH, cổ phần, MTV …)."""
    return _drop_phrases(tokens, rules.legal_forms)


def core_tokens(tokens: Sequence[str], rules: MatchingRules) -> list[str]:
    """A name's distinctive words: no legal forms, no words many licensed names share."""
    return _drop_phrases(key_tokens(tokens, rules), rules.generic)


def name_key(name: str, rules: MatchingRules) -> str:
    """The folded, normalised name stored beside each listed enterprise (enterprises.name_key)."""
    return " ".join(key_tokens(name_tokens(name, rules), rules))


@dataclass(frozen=True, slots=True)
class Mention:
    """A company a message names after "công ty", "doanh nghiệp", "trung tâm", "TNHH" …"""

    text: str  # as the worker wrote it, up to the first word that ends a name ("" if none is left)
    queries: tuple[str, ...]  # distinctive words of each reading of the name, longest first


@dataclass(frozen=True, slots=True)
class _Word:
    folded: str
    raw_index: int
    ends: bool  # punctuation ends the raw word
    titled: bool  # Title-case in a message that has both cases: part of a name, whatever it folds to


def folded_words(text: str, rules: MatchingRules, raw_words: Sequence[str] | None = None) -> list[_Word]:
    """The folded words of a message, each with the raw word it came from (`raw_words`: its words
    after `clean`, if already split). Each word is folded through the cache of redacted text."""
    raw_words = clean(text).split() if raw_words is None else raw_words
    mixed_case = text != text.lower() and text != text.upper()
    out = []
    for index, raw in enumerate(raw_words):
        ends = bool(_TRAILING_PUNCT.search(raw))
        bare = _LEADING_PUNCT.sub("", raw)
        titled = mixed_case and bare[:1].isupper()
        # A reference with digits (20-CT/TW, 280/KH-UBND) is one word: its "CT" is no "công ty".
        if _REFERENCE.search(bare):
            parts = [_NOT_ALNUM.sub("", fold(bare))]
        else:
            parts = normalize(raw, rules.abbreviations).folded.split()
        for j, part in enumerate(parts):
            out.append(_Word(part, index, ends and j == len(parts) - 1, titled))
    return out


def _skip_phrases(tokens: Sequence[str], start: int, phrases: Iterable[tuple[str, ...]]) -> int:
    """The index after any legal-form words or triggers that follow `start`."""
    phrases = tuple(phrases)
    moved = True
    while moved and start < len(tokens):
        moved = False
        for phrase in phrases:
            if tuple(tokens[start : start + len(phrase)]) == phrase:
                start += len(phrase)
                moved = True
                break
    return start


def message_words(text: str, rules: MatchingRules) -> tuple[list[str], list[_Word]]:
    """A message's raw words (after `clean`) and its folded words, each pointing at its raw word."""
    raw_words = clean(text).split()
    return raw_words, folded_words(text, rules, raw_words)


def find_mention(text: str, rules: MatchingRules, read: tuple[list[str], list[_Word]] | None = None) -> Mention | None:
    """The first company name a message gives after a trigger word, if there is one (`read`: the
    message's `message_words`, if already read)."""
    raw_words, words = message_words(text, rules) if read is None else read
    tokens = [w.folded for w in words]
    triggers = _by_first_word(rules.triggers)
    i = 0
    while i < len(tokens):
        trigger = next((t for t in triggers.get(tokens[i], ()) if tuple(tokens[i : i + len(t)]) == t), None)
        if trigger is None or words[i + len(trigger) - 1].ends:  # "công ty." — no name follows
            i += 1
            continue
        start = _skip_phrases(tokens, i + len(trigger), (*rules.legal_forms, *rules.triggers, *rules.name_leads))
        # The name runs at most max_name_words, to punctuation; every reading of it is tried.
        span: list[int] = []
        for k in range(start, min(len(tokens), start + rules.max_name_words)):
            span.append(k)
            if words[k].ends:
                break
        queries: list[str] = []
        for n in range(len(span), 0, -1):
            core = " ".join(core_tokens([tokens[k] for k in span[:n]], rules))
            if core and core not in queries:
                queries.append(core)
        if not queries:
            i = max(start, i + 1)
            continue
        # What the worker is shown ends at a word that follows names (có, là, không, bảo …).
        shown: list[int] = []
        for k in span:
            if tokens[k] in rules.stops | rules.soft_stops and not words[k].titled:
                break
            if not shown and tokens[k] in rules.never_first and not words[k].titled:
                break
            shown.append(k)
        display = ""
        if shown and core_tokens([tokens[k] for k in shown], rules):
            first, last = words[shown[0]].raw_index, words[shown[-1]].raw_index
            display = _LEADING_PUNCT.sub("", _TRAILING_PUNCT.sub("", " ".join(raw_words[first : last + 1])))
        return Mention(text=display.strip(), queries=tuple(queries))
    return None
