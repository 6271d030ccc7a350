"""Places in the text the model sees: a district or town named is its province's name.

A worker who names "Hòn Đất" or "Mường Khương" says where they live, not what they ask. Left as
they are, such rare names are noise that drags a short question's confidence below the answer
line; written as the province ("kien giang", "lao cai") they keep the one thing they tell the
model — which plan — and nothing else. Works on the folded view (knowledge/gazetteer.yaml read
once). Names that fold to a common phrase ("van ban" = văn bản) count only after a place word
("o van ban", "huyen van ban"), as actions/places.py reads them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from knowledge.yamlfile import read_yaml
from nlu.normalize import fold_key
from nlu.training import GAZETTEER_FILE

_KINDS = ("former_province", "city", "district", "town")


class PlaceMask:
    def __init__(self, names: dict[tuple[str, ...], tuple[str, bool]], place_words: frozenset[tuple[str, ...]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str, bool]]] = {}
        for words, (province, ambiguous) in sorted(names.items(), key=lambda kv: -len(kv[0])):
            self._by_first.setdefault(words[0], []).append((words, province, ambiguous))
        self._place_words = place_words

    def _after_place_word(self, tokens: list[str], start: int) -> bool:
        return any(tuple(tokens[max(0, start - n) : start]) in self._place_words for n in (1, 2))

    def apply(self, folded: str) -> str:
        tokens = folded.split()
        if not any(t in self._by_first for t in tokens):
            return folded
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for words, province, ambiguous in self._by_first.get(tokens[i], ()):
                end = i + len(words)
                if tuple(tokens[i:end]) == words and (
                    not ambiguous or len(tokens) == len(words) or self._after_place_word(tokens, i)
                ):
                    out.append(province)
                    i = end
                    break
            else:
                out.append(tokens[i])
                i += 1
        return " ".join(out)


@lru_cache(maxsize=2)
def load_mask(path: Path = GAZETTEER_FILE) -> PlaceMask:
    raw = read_yaml(path) or {}
    names: dict[tuple[str, ...], tuple[str, bool]] = {}
    for province_id, kinds in (raw.get("provinces") or {}).items():
        canonical = (kinds.get("province") or [None])[0]
        if not canonical or province_id == "other":  # provinces without a plan keep their names
            continue
        province = fold_key(str(canonical))
        ambiguous = {tuple(fold_key(str(n)).split()) for n in kinds.get("ambiguous") or ()}
        ambiguous |= {tuple(fold_key(str(n)).split()) for n in kinds.get("ambiguous_accented") or ()}
        for kind in _KINDS:
            for name in kinds.get(kind) or ():
                words = tuple(fold_key(str(name)).split())
                if words:
                    names[words] = (province, words in ambiguous)
    place_words = frozenset(tuple(fold_key(str(w)).split()) for w in raw.get("place_words") or ())
    return PlaceMask(names, frozenset(w for w in place_words if w))
