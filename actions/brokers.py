"""Broker and scam checks: warning signs in a message, and the licensed-enterprise lookup.

Pure functions over plain data. The cue patterns, the matching vocabulary and thresholds are in
actions/brokers.yaml; what the bot says is in knowledge/responses.yaml (warning_*,
enterprise_*) and in the knowledge entries it quotes. The enterprise list itself comes from
the store (bot/enterprises/directory.py builds an `EnterpriseDirectory` from the active list).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from actions.types import Option, Outcome, Reply, State
from nlu.normalize import Normalized, clean, fold, normalize
from nlu.types import Understanding

if TYPE_CHECKING:
    from actions.replies import Replies
    from actions.situations import SituationDetector

RULES_FILE = Path(__file__).with_name("brokers.yaml")
STATUSES = ("active", "suspended", "revoked")

_GAP = r"(?:\s\S+){0,4}\s"  # the `~` of a pattern: up to four more words
_MACRO = re.compile(r"\{([a-z_]+)\}")
_TRAILING_PUNCT = re.compile(r"[,.;:!?…)\]\"”’]+$")
_LEADING_PUNCT = re.compile(r"^[(\[\"“‘]+")
_REFERENCE = re.compile(r"\d[-/.]?[^\W\d_]|[^\W\d_][-/.]?\d|\d[-/]\d")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

HANDOFF_WORDS = 12  # a message this long that asks for a person is handed over at once


def compile_pattern(pattern: str, macros: Mapping[str, str]) -> re.Pattern[str]:
    """A cue pattern of brokers.yaml as a regular expression over whole words of folded text."""

    def expand(text: str, depth: int = 0) -> str:
        if depth > 3:
            raise ValueError(f"macros nest too deep in {pattern!r}")
        return _MACRO.sub(lambda m: "(?:" + expand(macros[m[1]], depth + 1) + ")", text)

    body = expand(" ".join(pattern.split()))
    body = re.sub(r"\s*~\s*", lambda _: _GAP, body)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


@dataclass(frozen=True, slots=True)
class Sign:
    """One warning sign: any cue, or every pattern of one `together` item, and no `unless`."""

    id: str
    cues: tuple[re.Pattern[str], ...]
    together: tuple[tuple[re.Pattern[str], ...], ...] = ()
    unless: tuple[re.Pattern[str], ...] = ()

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
    # Structure: a question about a rule or a word (not a story told), and a message that places its
    # worker abroad (a country, "bên này", an order …) and not back home or in the province.
    rule_question: Sign
    warning_context: Sign  # a word tying the message to going abroad or to a broker
    settled: Sign  # the trouble is over (back home, an old story) or the worker is fine
    domestic: Sign  # money or work trouble at home (a shop, a loan, a factory in the province)
    abroad: Sign
    trouble: Sign  # a word of trouble: without one, a worker abroad is making plans, not in trouble
    matching: MatchingRules
    importing: ImportRules

    @classmethod
    def load(cls, path: Path = RULES_FILE) -> BrokerRules:
        return _load_rules(path)

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
        cues=tuple(compile_pattern(p, macros) for p in spec.get("cues") or ()),
        together=tuple(tuple(compile_pattern(p, macros) for p in group) for group in spec.get("together") or ()),
        unless=tuple(compile_pattern(p, macros) for p in spec.get("unless") or ()),
    )


@lru_cache(maxsize=4)
def _load_rules(path: Path) -> BrokerRules:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    macros = {str(k): str(v) for k, v in (raw.get("macros") or {}).items()}
    warning = raw.get("warning") or {}
    signs = [_sign(str(sign_id), spec, macros) for sign_id, spec in (warning.get("signs") or {}).items()]
    urgent = raw.get("urgent") or {}
    m = raw.get("matching") or {}
    matching = MatchingRules(
        triggers=_phrases(m.get("triggers") or ()),
        legal_forms=_phrases(m.get("legal_forms") or ()),
        generic=_phrases(m.get("generic") or ()),
        stops=frozenset(str(s) for s in m.get("stops") or ()),
        soft_stops=frozenset(str(s) for s in m.get("soft_stops") or ()),
        never_first=frozenset(str(s) for s in m.get("never_first") or ()),
        abbreviations={str(k): str(v) for k, v in (m.get("abbreviations") or {}).items()},
        cues=compile_pattern("|".join(f"(?:{c})" for c in m.get("cues") or ()) or "(?!)", macros),
        max_name_words=int(m.get("max_name_words", 8)),
        threshold=float(m.get("threshold", 85)),
        ambiguity_margin=float(m.get("ambiguity_margin", 6)),
        min_coverage=float(m.get("min_coverage", 0.5)),
        max_choices=int(m.get("max_choices", 4)),
        bare_min_words=int(m.get("bare_min_words", 2)),
    )
    imp = raw.get("import") or {}
    statuses: dict[str, str] = {}
    for status, names in (imp.get("statuses") or {}).items():
        if status not in STATUSES:
            raise ValueError(f"{path}: unknown status {status!r}; use one of {', '.join(STATUSES)}")
        for name in names or ():
            statuses[" ".join(str(name).split())] = str(status)
    importing = ImportRules(
        headers={
            str(col): frozenset(" ".join(str(h).split()) for h in names or ())
            for col, names in (imp.get("headers") or {}).items()
        },
        statuses=statuses,
        header_scan_rows=int(imp.get("header_scan_rows", 10)),
        max_rows=int(imp.get("max_rows", 20000)),
        max_bytes=int(imp.get("max_bytes", 10_000_000)),
    )
    return BrokerRules(
        signs=tuple(signs),
        warning_entry=str(warning.get("entry", "")),
        warning_entry_by_province={str(k): str(v) for k, v in (warning.get("entry_by_province") or {}).items()},
        warning_related=tuple(str(r) for r in warning.get("related") or ()),
        urgent=_sign("urgent", urgent.get("signs"), macros),
        urgent_entry=str(urgent.get("entry", "")),
        urgent_plan_entry=str(urgent.get("plan_entry", "")),
        urgent_plan=_sign("urgent_plan", urgent.get("plan"), macros),
        rule_question=_sign("rule_question", warning.get("rule_question"), macros),
        warning_context=_sign("warning_context", warning.get("context"), macros),
        settled=_sign("settled", warning.get("settled"), macros),
        domestic=_sign("domestic", warning.get("domestic"), macros),
        abroad=_sign("abroad", urgent.get("abroad"), macros),
        trouble=_sign("trouble", urgent.get("trouble"), macros),
        matching=matching,
        importing=importing,
    )


# --- names ----------------------------------------------------------------------------


def name_tokens(text: str, rules: MatchingRules) -> list[str]:
    """The folded words of a name (cty → cong ty and the like, nothing else expanded)."""
    return normalize(text, rules.abbreviations).folded.split()


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


def _trigrams(text: str) -> frozenset[str]:
    padded = f"  {text} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


# --- the list ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Enterprise:
    """One enterprise of the official list."""

    name: str
    licence_no: str
    licence_date: dt.date | None
    status: str  # active, suspended, revoked
    list_date: dt.date

    def as_json(self) -> dict[str, str]:
        """The `enterprise` object of `laodong ask --json`."""
        return {
            "name": self.name,
            "licence_no": self.licence_no,
            "status": self.status,
            "list_date": self.list_date.isoformat(),
        }

    def snapshot(self) -> dict[str, str | None]:
        """A plain dict for the conversation state (a choice offered to the worker)."""
        return {
            **self.as_json(),
            "licence_date": self.licence_date.isoformat() if self.licence_date else None,
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Enterprise:
        licence_date = data.get("licence_date")
        return cls(
            name=str(data["name"]),
            licence_no=str(data["licence_no"]),
            licence_date=dt.date.fromisoformat(licence_date) if licence_date else None,
            status=str(data["status"]),
            list_date=dt.date.fromisoformat(str(data["list_date"])),
        )


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
        # rapidfuzz only here: the Rasa action server imports actions/ without it (and without a list).
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
        from rapidfuzz import fuzz, process

        if not self._items or not query:
            return []
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


# --- a company named in a message ------------------------------------------------------------


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


def _folded_words(text: str, rules: MatchingRules) -> list[_Word]:
    """The folded words of a message, each with the raw word it came from."""
    raw_words = clean(text).split()
    mixed_case = text != text.lower() and text != text.upper()
    out = []
    for index, raw in enumerate(raw_words):
        ends = bool(_TRAILING_PUNCT.search(raw))
        bare = _LEADING_PUNCT.sub("", raw)
        titled = mixed_case and bare[:1].isupper()
        # A reference with digits (20-CT/TW, 280/KH-UBND) is one word: its "CT" is no "công ty".
        parts = [_NOT_ALNUM.sub("", fold(bare))] if _REFERENCE.search(bare) else name_tokens(raw, rules)
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


def find_mention(text: str, rules: MatchingRules) -> Mention | None:
    """The first company name a message gives after a trigger word, if there is one."""
    words = _folded_words(text, rules)
    tokens = [w.folded for w in words]
    raw_words = clean(text).split()
    i = 0
    while i < len(tokens):
        trigger = next((t for t in rules.triggers if tuple(tokens[i : i + len(t)]) == t), None)
        if trigger is None or words[i + len(trigger) - 1].ends:  # "công ty." — no name follows
            i += 1
            continue
        start = _skip_phrases(tokens, i + len(trigger), (*rules.legal_forms, *rules.triggers))
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


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the list says about the company a message names."""

    name: str  # as the worker wrote it (or the listed name, when named in full)
    matches: tuple[Enterprise, ...]  # one: found; several: ask which; none: not listed
    loaded: bool  # False: no list was imported, so nothing can be said
    list_date: dt.date | None

    @property
    def found(self) -> Enterprise | None:
        return self.matches[0] if self.loaded and len(self.matches) == 1 else None


def look_up(
    text: str, norm: Normalized, directory: EnterpriseDirectory, topic: str | None = None, warned: bool = False
) -> Lookup | None:
    """The company a message asks about (or, `warned`, reports) and what the list says of it; None if none."""
    rules = directory.rules
    mention = find_mention(text, rules)
    if mention is not None:
        matches: list[tuple[Enterprise, float]] = []
        for query in mention.queries:  # the longest reading of the name that fits wins
            matches = directory.match(query)
            if matches:
                break
        if matches:
            return Lookup(mention.text, tuple(e for e, _ in matches), directory.loaded, directory.list_date)
        if mention.text and (warned or topic == "work_abroad" or rules.cues.search(norm.folded)):
            return Lookup(mention.text, (), directory.loaded, directory.list_date)
        return None
    if not directory.loaded:
        return None
    named = directory.bare(w.folded for w in _folded_words(text, rules))
    if named:
        shown = named[0].name if len(named) == 1 else " / ".join(e.name for e in named)
        return Lookup(shown, tuple(named), True, directory.list_date)
    return None


# --- the replies --------------------------------------------------------------------------------


def read_situation(
    rules: BrokerRules, detector: SituationDetector | None, norm: Normalized
) -> tuple[tuple[str, ...], bool, bool]:
    """(warning signs the cues name, warning, urgent): a cue fires or the detector's probability
    reaches its threshold (warning: a broker or scam; urgent: a worker abroad in trouble)."""
    signs = rules.warning_signs(norm.folded)
    urgent_cue = rules.urgent.fires(norm.folded)
    if detector is None:
        return signs, bool(signs), urgent_cue
    reading = detector.read(norm)
    config = detector.config
    # A cue on a general question ("khi bị giữ hộ chiếu thì làm gì") that the model reads as no story at all
    # does not count: cues name the sign, the model says whether a story is told (not on a few words:
    # the model is unsure there, "bị lừa rồi" stands).
    floor = config.cue_floor if len(norm.folded.split()) >= config.min_words else 0.0
    # A question about a rule or a word ("công ty có quyền giữ hộ chiếu không", "visa lịch sử là gì")
    # tells no story: it warns, cue or not, only when the model is nearly sure.
    asks_rule = rules.rule_question.fires(norm.folded)
    # Nothing tying the message to going abroad or to a broker ("cho anh vay 10 triệu", "chủ vựa cá ở
    # Phú Quốc giữ căn cước"): trouble at home, a warning only when the model is nearly sure.
    at_home = not rules.warning_context.fires(norm.folded) or rules.domestic.fires(norm.folded)
    # Back home, an old story, a relative abroad who is fine: only a model nearly sure warns.
    settled = rules.settled.fires(norm.folded)
    needed = max(
        config.rule_question_threshold if asks_rule else 0.0,
        config.no_context_threshold if at_home else 0.0,
        config.settled_threshold if settled else 0.0,
    )
    if reading.warning < floor or reading.warning < needed:
        signs = ()
    warned = bool(signs) or (reading.warning_flag and reading.warning >= needed)
    # Urgent means a worker abroad in trouble: without a word that places someone abroad (or with one
    # that places them back home, in the province) and a word of trouble, only a model that is nearly
    # sure makes it urgent.
    abroad = rules.abroad.fires(norm.folded) and rules.trouble.fires(norm.folded) and not asks_rule
    urgent = (abroad and urgent_cue and reading.urgent >= floor) or (
        reading.urgent_flag and (abroad or reading.urgent >= config.not_abroad_threshold)
    )
    urgent = urgent and (not settled or reading.urgent >= config.settled_urgent_threshold)
    # Abroad in trouble and there illegally (run away, overstaying, hiding, "làm chui"): a warning too.
    warned = warned or (urgent and rules.urgent_plan.fires(norm.folded) and reading.warning >= config.cue_floor)
    return signs, warned, urgent


def _date(value: dt.date | None) -> str:
    return f"{value.day}/{value.month}/{value.year}" if value else "?"


@dataclass(slots=True)
class BrokerDesk:
    """The broker actions: warn about warning signs, answer from the list of licensed enterprises."""

    responder: Replies  # the Responder that owns this desk (actions/replies.py)
    rules: BrokerRules = field(default_factory=BrokerRules.load)
    detector: SituationDetector | None = None  # the learned detector; None: the cue patterns alone

    @property
    def kb(self) -> Any:
        return self.responder.kb

    def check(
        self,
        state: State,
        question: str,
        norm: Normalized,
        und: Understanding | None,
        enterprises: EnterpriseDirectory | None,
    ) -> Outcome | None:
        """The reply when a message shows a warning sign, tells of trouble abroad or asks about a
        company; None otherwise. Trouble abroad comes first, then a warning, then the lookup."""
        signs, warned, urgent = read_situation(self.rules, self.detector, norm)
        topic = und.topic if und is not None else None
        lookup = look_up(question, norm, enterprises, topic, warned) if enterprises is not None else None
        # Asked for a person: hand over at once, flagged (a long story of trouble abroad the engine reads as
        # "human" — "gọi không ai bắt máy" — is a story: it gets its reply, which offers an official).
        short = len(norm.folded.split()) <= HANDOFF_WORDS
        if topic == "human" and (warned or (urgent and short)):
            outcome = self.responder.handoff(state, question, urgent=urgent)
            return self._flag(outcome, warned, lookup)
        if urgent:
            return self._flag(self.trouble_abroad(state, question, norm, lookup), warned, lookup)
        if warned:
            return self.warning(state, question, signs, lookup)
        if lookup is not None:
            return self.enterprise(state, question, lookup)
        return None

    def _flag(self, outcome: Outcome, warning: bool, lookup: Lookup | None) -> Outcome:
        outcome.warning = warning
        if lookup is not None:
            found = lookup.found
            outcome.enterprise = found.as_json() if found else None
            outcome.enterprise_name = found.name if found else lookup.name
        return outcome

    def _advice_entry(self, state: State) -> Any:
        entry_id = self.rules.warning_entry_by_province.get(state.province or "", self.rules.warning_entry)
        return self.kb.entries.get(entry_id) or self.kb.entries[self.rules.warning_entry]

    def _handoff_options(self, state: State, question: str, urgent: bool = False) -> list[Option]:
        state.pending = {"kind": "handoff", "question": question}
        if urgent:
            state.pending["urgent"] = True
        return [
            Option(label=self.kb.text("handoff_yes"), payload="h:1"),
            Option(label=self.kb.text("handoff_no"), payload="h:0"),
        ]

    def lookup_text(self, lookup: Lookup) -> str:
        """What the list says about one company, in the worker's words."""
        kb = self.kb
        if not lookup.loaded:
            return str(kb.text("enterprise_no_list").format(name=lookup.name))
        found = lookup.found
        list_date = _date(lookup.list_date)
        if found is not None:
            status = kb.responses["enterprise_status"].get(found.status, found.status)
            text = kb.text("enterprise_listed").format(
                name=found.name,
                licence_no=found.licence_no,
                licence_date=_date(found.licence_date),
                status=status,
                list_date=_date(found.list_date),
            )
            advice = "enterprise_active_advice" if found.status == "active" else "enterprise_inactive_advice"
            return f"{text}\n\n{kb.text(advice)}"
        if lookup.matches:
            names = "\n".join(f"• {e.name}" for e in lookup.matches)
            return f"{kb.text('enterprise_choose').format(name=lookup.name, list_date=list_date)}\n{names}"
        return str(kb.text("enterprise_not_listed").format(name=lookup.name, list_date=list_date))

    def warning(self, state: State, question: str, signs: Sequence[str], lookup: Lookup | None) -> Outcome:
        """Say plainly what is wrong, what the plan says, what to do; offer an official."""
        kb = self.kb
        entry = self._advice_entry(state)
        sign_text = kb.responses["warning_signs"]
        if signs:
            parts = [kb.text("warning_intro") + "\n" + "\n".join(f"• {sign_text[s]}" for s in signs)]
        else:  # the learned detector, not a cue: no sign to name
            parts = [kb.text("warning_intro_general")]
        parts.append(entry.answer.split("\n\n")[0])
        if lookup is not None:
            parts.append(self.lookup_text(lookup))
        parts += [kb.text("warning_steps"), kb.source_line(entry), kb.text("warning_handoff")]
        options = self._handoff_options(state, question)
        options += [
            Option(label=kb.entries[r].title, payload=f"e:{r}") for r in self.rules.warning_related if r in kb.entries
        ]
        reply = Reply(text="\n\n".join(parts), options=options, sources=kb.source_dicts(entry))
        intent = ("warning/" + (",".join(signs) or "detector"))[:96]
        outcome = self.responder._outcome(
            state, reply, "warning", "work_abroad", intent, entry=entry.id, confidence=1.0, answered=True
        )
        return self._flag(outcome, True, lookup)

    def trouble_abroad(self, state: State, question: str, norm: Normalized, lookup: Lookup | None = None) -> Outcome:
        """A worker already abroad in trouble: say it is serious, give the citizen-protection hotline,
        what the plan says where it applies, and offer an official at once (an urgent handoff)."""
        kb = self.kb
        entry = kb.entries[self.rules.urgent_entry]
        entries = [entry]
        plan = kb.entries.get(self.rules.urgent_plan_entry)
        if plan is not None and self.rules.urgent_plan.fires(norm.folded):
            entries.append(plan)
        parts = [kb.text("urgent_intro"), entry.answer.strip()]
        if len(entries) > 1:
            parts.append(plan.answer.split("\n\n")[0].strip() if plan is not None else "")
        if lookup is not None:  # a company named: what the list says of it
            parts.append(self.lookup_text(lookup))
        parts += [kb.source_line(e) for e in entries]
        parts.append(kb.text("urgent_handoff"))
        options = self._handoff_options(state, question, urgent=True)
        sources = [s for e in entries for s in kb.source_dicts(e)]
        reply = Reply(text="\n\n".join(parts), options=options, sources=sources)
        outcome = self.responder._outcome(
            state, reply, "urgent", "work_abroad", "urgent", entry=entry.id, confidence=1.0, answered=True
        )
        outcome.urgent = True
        return outcome

    def enterprise(self, state: State, question: str, lookup: Lookup) -> Outcome:
        """Answer from the list: the enterprise found, not listed, no list — or ask which one."""
        kb = self.kb
        entry = self._advice_entry(state)
        if lookup.loaded and len(lookup.matches) > 1:
            state.pending = {
                "kind": "enterprise",
                "name": lookup.name,
                "question": question,
                "list_date": lookup.list_date.isoformat() if lookup.list_date else None,
                "candidates": [e.snapshot() for e in lookup.matches],
            }
            options = [Option(label=e.name, payload=f"n:{i}") for i, e in enumerate(lookup.matches, start=1)]
            options.append(Option(label=kb.text("enterprise_none_of_these"), payload="n:0"))
            text = kb.text("enterprise_choose").format(name=lookup.name, list_date=_date(lookup.list_date))
            reply = Reply(text=text, options=options)
            outcome = self.responder._outcome(
                state, reply, "enterprise_choose", "work_abroad", "enterprise/choose", confidence=1.0
            )
            return self._flag(outcome, False, lookup)
        kind = "listed" if lookup.found else ("not_listed" if lookup.loaded else "no_list")
        parts = [self.lookup_text(lookup), kb.source_line(entry), kb.text("enterprise_handoff")]
        options = self._handoff_options(state, question)
        options.append(Option(label=entry.title, payload=f"e:{entry.id}"))
        reply = Reply(text="\n\n".join(parts), options=options, sources=kb.source_dicts(entry))
        outcome = self.responder._outcome(
            state, reply, "enterprise", "work_abroad", f"enterprise/{kind}", confidence=1.0, answered=lookup.loaded
        )
        return self._flag(outcome, False, lookup)

    def pick(self, state: State, value: str, question: str) -> Outcome:
        """The worker picked one of the enterprises offered (n:1 …), or none of them (n:0)."""
        pending = state.pending or {}
        candidates = [Enterprise.from_snapshot(c) for c in pending.get("candidates") or ()]
        if pending.get("kind") != "enterprise" or not value.isdigit() or int(value) > len(candidates):
            return self.responder.menu(state)
        list_date = pending.get("list_date")
        when = dt.date.fromisoformat(list_date) if list_date else None
        index = int(value)
        name = str(pending.get("name") or question)
        lookup = Lookup(
            name=candidates[index - 1].name if index else name,
            matches=(candidates[index - 1],) if index else (),
            loaded=True,
            list_date=when,
        )
        return self.enterprise(state, str(pending.get("question") or question), lookup)
