"""The embedded engine: a linear model on character and word n-grams of the folded text."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from knowledge.model import KnowledgeBase
from nlu.normalize import Normalized, normalize
from nlu.training import Example, label_topic, training_examples
from nlu.types import Candidate, NluEngine, Understanding

CONFIG_FILE = Path(__file__).with_name("embedded.yaml")

__all__ = ["Candidate", "EmbeddedEngine", "EngineConfig", "NluEngine", "Understanding"]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    c: float = 1.0
    calibration_folds: int = 2
    ranking_size: int = 5
    extra: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = CONFIG_FILE) -> EngineConfig:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(
            char_ngrams=tuple(raw.get("char_ngrams", (2, 5))),
            word_ngrams=tuple(raw.get("word_ngrams", (1, 2))),
            c=float(raw.get("c", 1.0)),
            calibration_folds=int(raw.get("calibration_folds", 2)),
            ranking_size=int(raw.get("ranking_size", 5)),
        )


class TfidfRow:
    """A fitted TfidfVectorizer's row for one text, as (columns, values), without building a matrix.

    Counts of the known n-grams → 1 + log(count) (sublinear_tf) → × idf → unit length (l2), in the
    vectorizer's float32, as `transform` computes them.
    """

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if not (vectorizer.sublinear_tf and vectorizer.use_idf and vectorizer.norm == "l2" and not vectorizer.binary):
            raise ValueError("TfidfRow follows sublinear_tf, use_idf, norm='l2', binary=False only")
        self._analyze = vectorizer.build_analyzer()
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._idf = np.asarray(vectorizer.idf_, dtype=np.float32)

    def __call__(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts: dict[int, int] = {}
        for gram in self._analyze(text):
            column = self._vocabulary.get(gram)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        values = np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts))) + np.float32(1)
        values *= self._idf[columns]
        length = np.sqrt(np.dot(values, values))
        if length > 0:
            values /= length
        return columns, values


class EmbeddedEngine:
    """Trained in-process at start-up from knowledge/ and nlu/data/."""

    name = "embedded"

    def __init__(self, kb: KnowledgeBase, examples: Sequence[Example], config: EngineConfig) -> None:
        started = time.perf_counter()
        self._kb = kb
        self._config = config
        self._char = TfidfVectorizer(
            analyzer="char", ngram_range=config.char_ngrams, sublinear_tf=True, dtype=np.float32
        )
        self._word = TfidfVectorizer(
            analyzer="word",
            ngram_range=config.word_ngrams,
            token_pattern=r"\S+",
            sublinear_tf=True,
            dtype=np.float32,
        )
        texts = [self._prepare(normalize(ex.text)) for ex in examples]
        labels = [ex.label for ex in examples]
        features = sparse.hstack([self._char.fit_transform(texts), self._word.fit_transform(texts)]).tocsr()
        self._model = LinearSVC(C=config.c)
        self._model.fit(features, labels)
        self._labels: list[str] = [str(c) for c in self._model.classes_]
        if len(self._labels) < 3:
            raise ValueError("the embedded engine needs at least three labels")  # one margin per label
        self._coef = np.asarray(self._model.coef_)
        self._intercept = np.asarray(self._model.intercept_)
        self._char_row, self._word_row = TfidfRow(self._char), TfidfRow(self._word)
        self._char_width = len(self._char.vocabulary_)
        self.temperature = self._calibrate(features, np.asarray(labels), config)
        self._topics = [label_topic(kb, label) for label in self._labels]
        self.training_seconds = time.perf_counter() - started
        self.example_count = len(examples)

    def _calibrate(self, features: sparse.csr_matrix, labels: np.ndarray, config: EngineConfig) -> float:
        """Fit the softmax temperature that turns margins into probabilities, out of fold."""
        folds = max(2, config.calibration_folds)
        fold_of = np.zeros(len(labels), dtype=int)
        for label in np.unique(labels):
            where = np.flatnonzero(labels == label)
            fold_of[where] = np.arange(len(where)) % folds
        margins, truth = [], []
        for k in range(folds):
            train, test = fold_of != k, fold_of == k
            model = LinearSVC(C=config.c).fit(features[train], labels[train])
            index = {str(c): i for i, c in enumerate(model.classes_)}
            keep = np.array([str(t) in index for t in labels[test]])
            if not keep.any():
                continue
            margins.append(model.decision_function(features[test][keep]))
            truth.append(np.array([index[str(t)] for t in labels[test][keep]]))
        best_t, best_nll = 10.0, float("inf")
        for t in (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40):
            nll = 0.0
            for m, y in zip(margins, truth, strict=True):
                z = m * t
                z = z - z.max(axis=1, keepdims=True)
                log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
                nll -= float(log_p[np.arange(len(y)), y].sum())
            if nll < best_nll:
                best_t, best_nll = float(t), nll
        return best_t

    def _decision(self, text: str) -> np.ndarray:
        """The model's margin for each label: sum over the text's n-grams of weight × tf-idf, + bias.

        The same arithmetic as `decision_function(hstack(transform…))`, done directly on the few
        n-grams one message has (scikit-learn's per-call checks and sparse assembly took ~90 % of
        the time; tests/test_nlu_fast.py holds the two to the same numbers).
        """
        char_cols, char_values = self._char_row(text)
        word_cols, word_values = self._word_row(text)
        cols = np.concatenate([char_cols, word_cols + self._char_width])
        values = np.concatenate([char_values, word_values])
        return np.asarray(self._coef[:, cols] @ values + self._intercept)

    def _softmax(self, margins: np.ndarray) -> np.ndarray:
        z = margins * self.temperature
        z = np.exp(z - z.max())
        return np.asarray(z / z.sum())

    @classmethod
    def train(cls, kb: KnowledgeBase, config: EngineConfig | None = None) -> EmbeddedEngine:
        return cls(kb, training_examples(kb), config or EngineConfig.load())

    @staticmethod
    def _prepare(norm: Normalized) -> str:
        return f" {norm.folded} "

    def understand(self, norm: Normalized) -> Understanding:
        """Rank labels for an already normalised message."""
        probs = self._softmax(self._decision(self._prepare(norm)))
        by_topic: dict[str, float] = defaultdict(float)
        for topic, p in zip(self._topics, probs, strict=True):
            by_topic[topic] += float(p)
        topic, topic_p = max(by_topic.items(), key=lambda kv: kv[1])
        order = np.argsort(-probs)[: self._config.ranking_size]
        ranking = tuple(Candidate(label=self._labels[i], topic=self._topics[i], score=float(probs[i])) for i in order)
        in_topic = [c for c in ranking if c.topic == topic]
        intent = in_topic[0].label if in_topic else ranking[0].label
        return Understanding(intent=intent, topic=topic, topic_confidence=topic_p, ranking=ranking)

    async def parse(self, text: str) -> Understanding:
        return self.understand(normalize(text))
