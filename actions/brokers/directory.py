"""The active list of licensed enterprises, indexed for fuzzy matching of the names workers type.

rapidfuzz is needed here only: the Rasa action server imports actions/ without it (and without a
list), so nothing on the actions' path imports this module; the bot builds the directory
(bot/enterprises/directory.py) and passes it in. It is imported where a name is matched: a process
that never sees one (an ask, most starts) does without it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from actions.brokers.listing import Enterprise
from actions.brokers.names import core_tokens, key_tokens, name_tokens
from actions.brokers.rules import MatchingRules


def _trigrams(text: str) -> frozenset[str]:
    padded = f"  {text} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


@dataclass(frozen=True, slots=True)
class _Indexed:
    enterprise: Enterprise
    core: str
    core_set: frozenset[str]
    key_set: frozenset[str]
    trigrams: frozenset[str]


class EnterpriseDirectory:
    """The active list, indexed for matching; `loaded` is False when no list was imported."""

    def __init__(
        self,
        enterprises: Sequence[Enterprise],
        rules: MatchingRules,
        list_id: int | None = None,
        list_date: dt.date | None = None,
    ) -> None:
        self.rules = rules
        self.list_id = list_id
        self.list_date = list_date
        self.loaded = list_id is not None or bool(enterprises)
        self._items: list[_Indexed] = []
        self._by_token: dict[str, set[int]] = {}
        for e in enterprises:
            tokens = name_tokens(e.name, rules)
            key = key_tokens(tokens, rules)
            core = core_tokens(tokens, rules) or key
            item = _Indexed(e, " ".join(core), frozenset(core), frozenset(key), _trigrams(" ".join(core)))
            for token in item.core_set:
                self._by_token.setdefault(token, set()).add(len(self._items))
            self._items.append(item)
        self._cores = [i.core for i in self._items]
        # Words a handful of names share point at candidates; words hundreds share point at none.
        rare = max(8, len(self._items) // 50)
        self._by_rare_token = {t: ids for t, ids in self._by_token.items() if len(ids) <= rare}
        if self.list_date is None and enterprises:
            self.list_date = enterprises[0].list_date

    @classmethod
    def empty(cls, rules: MatchingRules) -> EnterpriseDirectory:
        return cls((), rules)

    def __len__(self) -> int:
        return len(self._items)

    def score(self, query: str, item: _Indexed, trigrams: frozenset[str] | None = None) -> float:
        """Similarity (0–100) of a name's distinctive words and a listed name's."""
        from rapidfuzz import fuzz

        tokens = frozenset(query.split())
        trigrams = _trigrams(query) if trigrams is None else trigrams
        best = max(fuzz.token_sort_ratio(query, item.core), 100 * _dice(trigrams, item.trigrams))
        # Part of a name ("Kim Long" for "Kim Long Giả Định"): every word given is in the listed name,
        # and they are enough of it. Not the other way round: a reading with words after the name
        # must not match every short name whose words it happens to hold.
        coverage = len(tokens & item.core_set) / len(item.core_set) if item.core_set else 0.0
        if tokens <= item.core_set and coverage >= self.rules.min_coverage:
            best = max(best, fuzz.token_set_ratio(query, item.core))
        return float(best)

    def match(self, query: str) -> list[tuple[Enterprise, float]]:
        """Listed enterprises whose name fits a name's distinctive words (best first)."""
        if not self._items or not query:
            return []
        from rapidfuzz import fuzz, process

        shortlist: set[int] = set()
        for token in query.split():
            shortlist |= self._by_rare_token.get(token, set())
        for scorer in (fuzz.token_sort_ratio, fuzz.ratio):
            for _, _, index in process.extract(
                query, self._cores, scorer=scorer, limit=8, score_cutoff=self.rules.threshold - 25
            ):
                shortlist.add(int(index))
        trigrams = _trigrams(query)
        scored = [(self._items[i].enterprise, self.score(query, self._items[i], trigrams)) for i in shortlist]
        fitting = sorted((s for s in scored if s[1] >= self.rules.threshold), key=lambda s: (-s[1], s[0].name))
        if not fitting:
            return []
        # A listed name whose distinctive words are exactly the ones given beats names that merely hold them.
        words = frozenset(query.split())
        exact = {id(self._items[i].enterprise) for i in shortlist if self._items[i].core_set == words}
        if exact:
            fitting = [s for s in fitting if id(s[0]) in exact]
        top = fitting[0][1]
        return [s for s in fitting if s[1] >= top - self.rules.ambiguity_margin][: self.rules.max_choices]

    def bare(self, tokens: Iterable[str]) -> list[Enterprise]:
        """Listed enterprises named in full (all distinctive words) without "công ty" before them."""
        present = frozenset(tokens)
        candidates: set[int] = set()
        for token in present:
            candidates |= self._by_token.get(token, set())
        out = []
        for i in sorted(candidates):
            item = self._items[i]
            if len(item.core_set) >= self.rules.bare_min_words and item.core_set <= present:
                out.append(item.enterprise)
        return out[: self.rules.max_choices]
