"""The rules of the broker and scam checks: actions/brokers.yaml, read once and compiled.

Cue patterns become regular expressions over whole words of folded text; the matching
vocabulary and the thresholds become plain values (names.py, directory.py and signs.py use them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from knowledge.yamlfile import read_yaml

RULES_FILE = Path(__file__).resolve().parents[1] / "brokers.yaml"
STATUSES = ("active", "suspended", "revoked")

_GAP = r"(?:\s\S+){0,4}\s"  # the `~` of a pattern: up to four more words
_MACRO = re.compile(r"\{([a-z_]+)\}")


def _expand(pattern: str, macros: Mapping[str, str]) -> str:
    """A cue pattern of brokers.yaml as the source of a regular expression over whole words of folded text."""

    def expand(text: str, depth: int = 0) -> str:
        if depth > 3:
            raise ValueError(f"macros nest too deep in {pattern!r}")
        return _MACRO.sub(lambda m: "(?:" + expand(macros[m[1]], depth + 1) + ")", text)

    body = expand(" ".join(pattern.split()))
    body = re.sub(r"\s*~\s*", lambda _: _GAP, body)
    return rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])"


def compile_pattern(pattern: str, macros: Mapping[str, str]) -> re.Pattern[str]:
    """A cue pattern of brokers.yaml as a regular expression over whole words of folded text."""
    return re.compile(_expand(pattern, macros))


class LazyPattern:
    """A cue pattern compiled when first searched: a process that reads one message (`laodong ask`) compiles
    the few dozen patterns that message needs, not all of brokers.yaml (compiling every one costs ~0.3 s)."""

    __slots__ = ("_compiled", "source")

    def __init__(self, pattern: str, macros: Mapping[str, str]) -> None:
        self.source = _expand(pattern, macros)
        self._compiled: re.Pattern[str] | None = None

    def search(self, text: str) -> re.Match[str] | None:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.source)
        return compiled.search(text)

    def compile(self) -> re.Pattern[str]:
        """Compile now (a check, or a server warming up): a malformed pattern fails here, not on a message."""
        if self._compiled is None:
            self._compiled = re.compile(self.source)
        return self._compiled


@dataclass(frozen=True, slots=True)
class Sign:
    """One warning sign: any cue, or every pattern of one `together` item, and no `unless`."""

    id: str
    cues: tuple[LazyPattern, ...]
    together: tuple[tuple[LazyPattern, ...], ...] = ()
    unless: tuple[LazyPattern, ...] = ()

    def fires(self, folded: str) -> bool:
        hit = any(p.search(folded) for p in self.cues) or any(
            all(p.search(folded) for p in group) for group in self.together
        )
        return hit and not any(p.search(folded) for p in self.unless)


@dataclass(frozen=True, slots=True)
class MatchingRules:
    """How a company name in a message is found and compared with the listed names."""

    triggers: tuple[tuple[str, ...], ...]
    legal_forms: tuple[tuple[str, ...], ...]
    generic: tuple[tuple[str, ...], ...]
    stops: frozenset[str]
    soft_stops: frozenset[str]
    never_first: frozenset[str]
    abbreviations: Mapping[str, str]
    cues: re.Pattern[str]
    name_leads: tuple[tuple[str, ...], ...] = ()  # "công ty (đó) tên là X": words before the name
    max_name_words: int = 8
    threshold: float = 85.0
    ambiguity_margin: float = 6.0
    min_coverage: float = 0.5
    max_choices: int = 4
    bare_min_words: int = 2


@dataclass(frozen=True, slots=True)
class ImportRules:
    """How an official's list file is read (bot/enterprises/listfile.py)."""

    headers: Mapping[str, frozenset[str]]
    statuses: Mapping[str, str]  # folded status text → active / suspended / revoked
    header_scan_rows: int = 10
    max_rows: int = 20000
    max_bytes: int = 10_000_000


@dataclass(frozen=True, slots=True)
class BrokerRules:
    """Everything in actions/brokers.yaml."""

    signs: tuple[Sign, ...]
    warning_entry: str
    warning_entry_by_province: Mapping[str, str]
    warning_related: tuple[str, ...]
    urgent: Sign  # a worker already abroad in trouble (with the learned detector, actions/situations.py)
    urgent_entry: str  # the citizen-protection entry the urgent reply gives
    urgent_plan_entry: str  # what the plan says about staying on illegally, quoted when `urgent_plan` fires
    urgent_plan: Sign
    bondage: Sign  # wages kept abroad against a debt or the worker's "price": with urgent, a warning too
    # Structure: a question about a rule or a word (not a story told), and a message that places its
    # worker abroad (a country, "bên này", an order …) and not back home or in the province.
    rule_question: Sign
    warning_context: Sign  # a word tying the message to going abroad or to a broker
    settled: Sign  # the trouble is over (back home, an old story) or the worker is fine
    domestic: Sign  # money or work trouble at home (a shop, a loan, a factory in the province)
    hearsay: Sign  # a scam seen in the news or on TV, nothing offered to the speaker: never a warning
    asks_person: Sign  # an official asked for in so many words ("cho tôi gặp cán bộ"), not a word of a story
    abroad: Sign
    trouble: Sign  # a word of trouble: without one, a worker abroad is making plans, not in trouble
    matching: MatchingRules
    importing: ImportRules

    @classmethod
    def load(cls, path: Path = RULES_FILE) -> BrokerRules:
        return _load_rules(path)

    def compile_all(self) -> int:
        """Compile every cue pattern now (checks and tests: a malformed pattern fails here); how many there are."""
        signs = [*self.signs, *(v for f in fields(self) if isinstance(v := getattr(self, f.name), Sign))]
        patterns = [p for s in signs for p in (*s.cues, *s.unless, *(q for g in s.together for q in g))]
        for pattern in patterns:
            pattern.compile()
        return len(patterns)

    def warning_signs(self, folded: str) -> tuple[str, ...]:
        """The ids of the warning signs a folded message shows, in the order of brokers.yaml."""
        return tuple(s.id for s in self.signs if s.fires(folded))


def _phrases(items: Iterable[Any]) -> tuple[tuple[str, ...], ...]:
    """Folded multi-word phrases, longest first."""
    out = {tuple(str(i).split()) for i in items if str(i).split()}
    return tuple(sorted(out, key=lambda p: (-len(p), p)))


def _sign(sign_id: str, spec: Mapping[str, Any] | None, macros: Mapping[str, str]) -> Sign:
    spec = spec or {}
    return Sign(
        id=sign_id,
        cues=tuple(LazyPattern(p, macros) for p in spec.get("cues") or ()),
        together=tuple(tuple(LazyPattern(p, macros) for p in group) for group in spec.get("together") or ()),
        unless=tuple(LazyPattern(p, macros) for p in spec.get("unless") or ()),
    )


def _matching_rules(m: Mapping[str, Any], macros: Mapping[str, str]) -> MatchingRules:
    return MatchingRules(
        triggers=_phrases(m.get("triggers") or ()),
        legal_forms=_phrases(m.get("legal_forms") or ()),
        generic=_phrases(m.get("generic") or ()),
        stops=frozenset(str(s) for s in m.get("stops") or ()),
        soft_stops=frozenset(str(s) for s in m.get("soft_stops") or ()),
        never_first=frozenset(str(s) for s in m.get("never_first") or ()),
        name_leads=_phrases(m.get("name_leads") or ()),
        abbreviations={str(k): str(v) for k, v in (m.get("abbreviations") or {}).items()},
        cues=compile_pattern("|".join(f"(?:{c})" for c in m.get("cues") or ()) or "(?!)", macros),
        max_name_words=int(m.get("max_name_words", 8)),
        threshold=float(m.get("threshold", 85)),
        ambiguity_margin=float(m.get("ambiguity_margin", 6)),
        min_coverage=float(m.get("min_coverage", 0.5)),
        max_choices=int(m.get("max_choices", 4)),
        bare_min_words=int(m.get("bare_min_words", 2)),
    )


def _import_rules(imp: Mapping[str, Any], path: Path) -> ImportRules:
    statuses: dict[str, str] = {}
    for status, names in (imp.get("statuses") or {}).items():
        if status not in STATUSES:
            raise ValueError(f"{path}: unknown status {status!r}; use one of {', '.join(STATUSES)}")
        for name in names or ():
            statuses[" ".join(str(name).split())] = str(status)
    return ImportRules(
        headers={
            str(col): frozenset(" ".join(str(h).split()) for h in names or ())
            for col, names in (imp.get("headers") or {}).items()
        },
        statuses=statuses,
        header_scan_rows=int(imp.get("header_scan_rows", 10)),
        max_rows=int(imp.get("max_rows", 20000)),
        max_bytes=int(imp.get("max_bytes", 10_000_000)),
    )


def _gazetteer_places() -> str:
    """The folded names of the plans' provinces' places (knowledge/gazetteer.yaml), longest first, as alternatives."""
    from actions.places import Gazetteer  # the gazetteer is read only where the rules are

    names = {" ".join(p.folded) for p in Gazetteer.load().places if p.province != "other"}
    return "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))


@lru_cache(maxsize=4)
def _load_rules(path: Path) -> BrokerRules:
    raw = read_yaml(path) or {}
    macros = {str(k): str(v) for k, v in (raw.get("macros") or {}).items()}
    if "vnplace" in macros:  # every town and district of the plans' provinces, as the gazetteer has them
        macros["vnplace"] = f"(?:{macros['vnplace']}|{_gazetteer_places()})"
    warning = raw.get("warning") or {}
    signs = [_sign(str(sign_id), spec, macros) for sign_id, spec in (warning.get("signs") or {}).items()]
    urgent = raw.get("urgent") or {}
    return BrokerRules(
        signs=tuple(signs),
        warning_entry=str(warning.get("entry", "")),
        warning_entry_by_province={str(k): str(v) for k, v in (warning.get("entry_by_province") or {}).items()},
        warning_related=tuple(str(r) for r in warning.get("related") or ()),
        urgent=_sign("urgent", urgent.get("signs"), macros),
        urgent_entry=str(urgent.get("entry", "")),
        urgent_plan_entry=str(urgent.get("plan_entry", "")),
        urgent_plan=_sign("urgent_plan", urgent.get("plan"), macros),
        bondage=_sign("bondage", urgent.get("bondage"), macros),
        rule_question=_sign("rule_question", warning.get("rule_question"), macros),
        warning_context=_sign("warning_context", warning.get("context"), macros),
        settled=_sign("settled", warning.get("settled"), macros),
        domestic=_sign("domestic", warning.get("domestic"), macros),
        hearsay=_sign("hearsay", warning.get("hearsay"), macros),
        asks_person=_sign("asks_person", warning.get("asks_person"), macros),
        abroad=_sign("abroad", urgent.get("abroad"), macros),
        trouble=_sign("trouble", urgent.get("trouble"), macros),
        matching=_matching_rules(raw.get("matching") or {}, macros),
        importing=_import_rules(raw.get("import") or {}, path),
    )
