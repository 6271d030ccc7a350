"""Folded multi-word phrases (actions/context.yaml's lists), found in a message's words."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import compress
from typing import Any

Phrase = tuple[str, ...]


class Phrases:
    """Folded multi-word phrases, indexed by their first word (longest first)."""

    def __init__(self, items: Iterable[Any]) -> None:
        phrases = sorted({tuple(str(i).split()) for i in items if str(i).split()}, key=lambda p: (-len(p), p))
        index: dict[str, list[Phrase]] = {}
        for phrase in phrases:
            index.setdefault(phrase[0], []).append(phrase)
        self._index = {word: tuple(group) for word, group in index.items()}

    def cover(self, tokens: Sequence[str]) -> set[int]:
        """The indices of tokens that some phrase spans (the longest phrase at each position)."""
        covered: set[int] = set()
        index, end = self._index, 0
        for i in compress(range(len(tokens)), map(index.__contains__, tokens)):  # most words begin no phrase
            if i >= end:  # not inside the phrase found last
                end = next((i + len(p) for p in index[tokens[i]] if tuple(tokens[i : i + len(p)]) == p), end)
                covered.update(range(i, end))
        return covered

    def ends(self, tokens: Sequence[str]) -> bool:
        """Whether the tokens end with one of the phrases."""
        return any(len(p) <= len(tokens) and tuple(tokens[-len(p) :]) == p for g in self._index.values() for p in g)

    def starts(self, tokens: Sequence[str]) -> bool:
        """Whether the tokens begin with one of the phrases."""
        return bool(tokens) and any(tuple(tokens[: len(p)]) == p for p in self._index.get(tokens[0], ()))

    def longest_at(self, tokens: Sequence[str], i: int) -> int:
        """The length of the longest phrase that begins at word i (0: none)."""
        return next((len(p) for p in self._index.get(tokens[i], ()) if tuple(tokens[i : i + len(p)]) == p), 0)
