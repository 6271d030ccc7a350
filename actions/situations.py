"""The learned situation detector: warning signs of a scam, and a worker already abroad in trouble.

Two linear models (logistic regression) on the character and word n-grams of the folded text —
the features of the embedded NLU (nlu/engine.py), scored with its `TfidfRow` — trained on the
stories of actions/data/situations.yaml against ordinary questions (that file's, and the example
questions of the knowledge base and of nlu/data/). The cue patterns of actions/brokers.yaml stay;
the dialogue warns when a cue fires or the model's probability reaches the threshold of
actions/brokers.yaml `detector:` (fitted for at most 1 % false alarms, scripts/bench_brokers.py).

Training takes a fraction of a second and runs once per process (`SituationDetector.for_kb`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from nlu.normalize import Normalized, normalize

if TYPE_CHECKING:
    from knowledge.model import KnowledgeBase

STORIES_FILE = Path(__file__).with_name("data") / "situations.yaml"
CONFIG_FILE = Path(__file__).with_name("brokers.yaml")
LABELS = ("warning", "urgent")
DEV_EVERY = 5  # every fifth story of a group is held out (the development set)
# Entries whose example questions tell stories themselves: not ordinary questions.
STORY_ENTRIES = frozenset({"vn_canh_bao_moi_gioi_bat_hop_phap", "lc_khong_di_trai_phep"})


@dataclass(frozen=True, slots=True)
class Story:
    """One labelled message (the format of tests/data/fresh/situations.yaml)."""

    q: str
    warning: bool
    urgent: bool
    situation: str
    dev: bool = False


def load_stories(path: Path = STORIES_FILE) -> list[Story]:
    """The stories of a situations file, grouped (actions/data/) or flat (tests/data/fresh/)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    out: list[Story] = []
    for item in raw:
        tag = str(item.get("situation", ""))
        warning, urgent = bool(item.get("warning")), bool(item.get("urgent"))
        if isinstance(item.get("q"), list):
            for i, q in enumerate(item["q"], start=1):
                out.append(Story(str(q), warning, urgent, tag, dev=i % DEV_EVERY == 0))
        else:
            out.append(Story(str(item["q"]), warning, urgent, tag))
    return out


def ordinary_questions(kb: KnowledgeBase) -> list[str]:
    """The example questions of the knowledge base and of nlu/data/ (none of them a story)."""
    from nlu.training import load_rasa_nlu

    out = [q for e in kb.entries.values() if e.id not in STORY_ENTRIES for q in (e.title, *e.examples)]
    out += [ex.text for ex in load_rasa_nlu()]
    return out


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    c: float = 4.0
    warning_threshold: float = 0.5
    urgent_threshold: float = 0.5
    cue_floor: float = 0.0  # a cue counts only when the model gives its label at least this
    min_words: int = 5  # the model alone flags only a message of this many syllables (a few tell no story)

    @classmethod
    def load(cls, path: Path = CONFIG_FILE) -> DetectorConfig:
        raw = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("detector") or {}
        return cls(
            char_ngrams=tuple(raw.get("char_ngrams", (2, 5))),
            word_ngrams=tuple(raw.get("word_ngrams", (1, 2))),
            c=float(raw.get("c", 4.0)),
            warning_threshold=float(raw.get("warning_threshold", 0.5)),
            urgent_threshold=float(raw.get("urgent_threshold", 0.5)),
            cue_floor=float(raw.get("cue_floor", 0.0)),
            min_words=int(raw.get("min_words", 5)),
        )


@dataclass(frozen=True, slots=True)
class Reading:
    """What the detector makes of one message."""

    warning: float  # probability of a warning sign
    urgent: float  # probability of a worker abroad in trouble
    warning_flag: bool
    urgent_flag: bool


class SituationDetector:
    """Two logistic regressions over the folded text's n-grams, one per label."""

    def __init__(self, texts: Sequence[str], labels: np.ndarray, config: DetectorConfig) -> None:
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        from nlu.engine import TfidfRow

        started = time.perf_counter()
        self.config = config
        self._char = TfidfVectorizer(
            analyzer="char", ngram_range=config.char_ngrams, sublinear_tf=True, dtype=np.float32
        )
        self._word = TfidfVectorizer(
            analyzer="word", ngram_range=config.word_ngrams, token_pattern=r"\S+", sublinear_tf=True, dtype=np.float32
        )
        prepared = [self.prepare(normalize(t)) for t in texts]
        features = sparse.hstack([self._char.fit_transform(prepared), self._word.fit_transform(prepared)]).tocsr()
        coefs, intercepts = [], []
        for k in range(labels.shape[1]):
            model = LogisticRegression(C=config.c, class_weight="balanced", solver="liblinear", dual=True)
            model.fit(features, labels[:, k])
            coefs.append(np.asarray(model.coef_[0], dtype=np.float32))
            intercepts.append(float(model.intercept_[0]))
        self._coef = np.vstack(coefs)
        self._intercept = np.asarray(intercepts, dtype=np.float32)
        self._char_row, self._word_row = TfidfRow(self._char), TfidfRow(self._word)
        self._char_width = len(self._char.vocabulary_)
        self.training_seconds = time.perf_counter() - started
        self.example_count = len(texts)

    @staticmethod
    def prepare(norm: Normalized) -> str:
        return f" {norm.folded} "

    @classmethod
    def train(
        cls, stories: Iterable[Story], ordinary: Iterable[str], config: DetectorConfig | None = None
    ) -> SituationDetector:
        """Train on stories (dev stories left out) and ordinary questions (both labels false)."""
        texts: list[str] = []
        rows: list[tuple[int, int]] = []
        for s in stories:
            if not s.dev:
                texts.append(s.q)
                rows.append((int(s.warning), int(s.urgent)))
        for q in ordinary:
            texts.append(q)
            rows.append((0, 0))
        return cls(texts, np.asarray(rows, dtype=int), config or DetectorConfig.load())

    @classmethod
    def for_kb(cls, kb: KnowledgeBase) -> SituationDetector:
        """The detector for a knowledge base, trained once per process and set of questions."""
        return _trained(tuple(ordinary_questions(kb)))

    def probabilities(self, norm: Normalized) -> tuple[float, float]:
        """(warning, urgent) probabilities for a normalised message."""
        text = self.prepare(norm)
        char_cols, char_values = self._char_row(text)
        word_cols, word_values = self._word_row(text)
        cols = np.concatenate([char_cols, word_cols + self._char_width])
        values = np.concatenate([char_values, word_values])
        margins = self._coef[:, cols] @ values + self._intercept
        p = 1.0 / (1.0 + np.exp(-margins))
        return float(p[0]), float(p[1])

    def read(self, norm: Normalized) -> Reading:
        warning, urgent = self.probabilities(norm)
        story = len(norm.folded.split()) >= self.config.min_words
        return Reading(
            warning=warning,
            urgent=urgent,
            warning_flag=story and warning >= self.config.warning_threshold,
            urgent_flag=story and urgent >= self.config.urgent_threshold,
        )


@lru_cache(maxsize=2)
def _trained(ordinary: tuple[str, ...]) -> SituationDetector:
    return SituationDetector.train(load_stories(), ordinary)
