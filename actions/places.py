"""The gazetteer (knowledge/gazetteer.yaml): which province a place named in a message belongs to.

Pure functions over plain data. A message is split into words twice over: as typed (accented,
lowercase, tone placement unified) and folded (no diacritics, đ → d). A name matches on the
folded words; where the worker typed accents, the accented words must spell the name too, so
"gửi văn bản" is not Văn Bàn while "van ban" and "Văn Bàn" are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from knowledge.model import KNOWLEDGE_DIR
from knowledge.yamlfile import read_yaml
from nlu.normalize import CACHED_TEXTS, clean, fold, unify_tones

GAZETTEER_FILE = KNOWLEDGE_DIR / "gazetteer.yaml"
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Words:
    """A message's words, as typed (accented) and folded, one for one."""

    accented: tuple[str, ...]
    folded: tuple[str, ...]
    capitalized: tuple[bool, ...] = ()  # as typed: "Hòa Bình" the province, "hòa bình" maybe not

    @property
    def typed_with_accents(self) -> bool:
        return self.accented != self.folded


@lru_cache(maxsize=CACHED_TEXTS)
def words(text: str) -> Words:
    """Split a message into words in both views (NFC/NFD and old tone placement alike). Cached, as
    `normalize` is: for text past the privacy boundary (a message as redacted, a gazetteer name)."""
    typed = _WORD.findall(unify_tones(clean(text)))
    accented = tuple(w.lower() for w in typed)
    return Words(
        accented=accented, folded=tuple(fold(w) for w in accented), capitalized=tuple(w[:1].isupper() for w in typed)
    )


@dataclass(frozen=True, slots=True)
class Place:
    name: str  # as written in the gazetteer, with its accents
    province: str  # a knowledge/provinces.yaml id
    kind: str  # province, former_province, city, district, town
    ambiguous: bool  # its folded form is also a common phrase ("van ban")
    ambiguous_accented: bool  # so is its accented form ("hòa bình")
    accented: tuple[str, ...]  # the name's words, lowercase, accented
    folded: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlaceHit:
    place: Place
    start: int  # word index in the message
    end: int


class Gazetteer:
    """The places of knowledge/gazetteer.yaml, indexed by their first folded word."""

    def __init__(
        self, places: Sequence[Place], place_words: Sequence[tuple[str, ...]], self_words: Sequence[str] = ()
    ) -> None:
        self.places = tuple(places)
        self.self_words = frozenset(self_words)  # folded "em", "tôi", "quê" …
        self.place_words = tuple(sorted(place_words, key=len, reverse=True))  # folded "ở", "bên", "huyện" …
        index: dict[str, list[Place]] = {}
        for place in sorted(self.places, key=lambda p: -len(p.folded)):
            index.setdefault(place.folded[0], []).append(place)
        self._index = {word: tuple(group) for word, group in index.items()}

    @classmethod
    def load(cls, path: Path = GAZETTEER_FILE) -> Gazetteer:
        return _load(path)

    def find(self, message: Words, lenient: bool = False) -> list[PlaceHit]:
        """The places a message names, left to right, the longest name where names overlap.

        `lenient`: ambiguous names count without a sign that they are places (the caller has one).
        """
        hits: list[PlaceHit] = []
        i = 0
        while i < len(message.folded):
            hit = next(
                (
                    PlaceHit(place, i, i + len(place.folded))
                    for place in self._index.get(message.folded[i], ())
                    if message.folded[i : i + len(place.folded)] == place.folded
                    and self._accepts(message, place, i, i + len(place.folded), lenient)
                ),
                None,
            )
            if hit is None:
                i += 1
                continue
            hits.append(hit)
            i = hit.end
        return hits

    def _accepts(self, message: Words, place: Place, start: int, end: int, lenient: bool = False) -> bool:
        typed = message.accented[start:end]
        with_accents = typed != message.folded[start:end]
        if with_accents and typed != place.accented:  # accents typed must be the name's
            return False
        if (
            lenient
            or not (place.ambiguous_accented or (place.ambiguous and not with_accents))
            or end - start == len(message.folded)
        ):  # or the message is the name alone
            return True
        if all(message.capitalized[start:end]) and start > 0:  # "ở Hòa Bình", "bên Cần Thơ" as a name
            return True
        return any(start >= len(cue) and message.folded[start - len(cue) : start] == cue for cue in self.place_words)

    def lives_at(self, message: Words, hit: PlaceHit) -> bool:
        """Whether the worker says they live at the place ("em ở Hà Nội"), by a word just before it."""
        return bool(self.self_words.intersection(message.folded[max(0, hit.start - 3) : hit.start]))

    def province(self, message: Words, hits: Sequence[PlaceHit] | None = None) -> str | None:
        """The province of the first place the message names (a plan province before "other")."""
        hits = self.find(message) if hits is None else hits
        planned = [h for h in hits if h.place.province != "other"]
        return (planned or hits)[0].place.province if hits else None


def _name_words(name: str) -> Words:
    return words(name)


@lru_cache(maxsize=4)
def _load(path: Path) -> Gazetteer:
    raw = read_yaml(path) or {}
    places: list[Place] = []
    for province, kinds in (raw.get("provinces") or {}).items():
        ambiguous = {_name_words(str(n)).folded for n in kinds.get("ambiguous") or ()}
        ambiguous_accented = {_name_words(str(n)).folded for n in kinds.get("ambiguous_accented") or ()}
        for kind, names in kinds.items():
            if kind in ("ambiguous", "ambiguous_accented"):
                continue
            for name in names or ():
                w = _name_words(str(name))
                if not w.folded:
                    continue
                places.append(
                    Place(
                        name=str(name),
                        province=str(province),
                        kind=str(kind),
                        ambiguous=w.folded in ambiguous,
                        ambiguous_accented=w.folded in ambiguous_accented,
                        accented=w.accented,
                        folded=w.folded,
                    )
                )
    cues = {_name_words(str(c)).folded for c in raw.get("place_words") or ()}
    self_words = [" ".join(_name_words(str(w)).folded) for w in raw.get("self_words") or ()]
    return Gazetteer(places, [c for c in cues if c], [w for w in self_words if " " not in w])


def check_gazetteer(gazetteer: Gazetteer, provinces: Sequence[str]) -> list[str]:
    """Problems: a place of an unknown province, or one folded name given to two provinces."""
    problems = []
    seen: dict[tuple[str, ...], str] = {}
    for place in gazetteer.places:
        if place.province not in provinces:
            problems.append(f"gazetteer: {place.name!r} belongs to unknown province {place.province!r}")
        other = seen.setdefault(place.folded, place.province)
        if other != place.province:
            problems.append(f"gazetteer: {place.name!r} is listed for both {other!r} and {place.province!r}")
    return problems
