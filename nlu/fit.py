"""Training a linear n-gram classifier with scikit-learn, into a `LinearNgramModel` (nlu/linear.py).

Only training imports this module (and with it scikit-learn, SciPy and NumPy); serving scores the
stored model in pure Python.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from nlu import artefact
from nlu.linear import LinearNgramModel, NgramBlock

TEMPERATURES = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40)


@dataclass(frozen=True, slots=True)
class NgramSpec:
    """How to featurise and fit: the n-gram ranges of the blocks, the SVM's C, calibration folds."""

    char_ngrams: tuple[int, int] | None = (2, 5)
    word_ngrams: tuple[int, int] | None = (1, 2)
    c: float = 1.0
    calibration_folds: int = 2


@dataclass(frozen=True, slots=True)
class Fitted:
    """The stored model and the scikit-learn objects it came from (for parity checks)."""

    model: LinearNgramModel
    vectorizers: tuple[TfidfVectorizer, ...]
    classifier: LinearSVC

    def reference_margins(self, texts: Sequence[str]) -> np.ndarray:
        """scikit-learn's own margins: every block's transform, stacked, through decision_function."""
        features = sparse.hstack([v.transform(list(texts)) for v in self.vectorizers]).tocsr()
        return np.asarray(self.classifier.decision_function(features))


def vectorizers(spec: NgramSpec) -> tuple[TfidfVectorizer, ...]:
    out = []
    if spec.char_ngrams is not None:
        out.append(TfidfVectorizer(analyzer="char", ngram_range=spec.char_ngrams, sublinear_tf=True, dtype=np.float32))
    if spec.word_ngrams is not None:
        out.append(
            TfidfVectorizer(
                analyzer="word", ngram_range=spec.word_ngrams, token_pattern=r"\S+", sublinear_tf=True, dtype=np.float32
            )
        )
    return tuple(out)


def block_of(vectorizer: TfidfVectorizer) -> NgramBlock:
    """A fitted vectorizer as plain data (only the settings `NgramBlock` reproduces)."""
    if not (vectorizer.sublinear_tf and vectorizer.use_idf and vectorizer.norm == "l2" and not vectorizer.binary):
        raise ValueError("NgramBlock follows sublinear_tf, use_idf, norm='l2', binary=False only")
    if not vectorizer.lowercase or vectorizer.strip_accents is not None or vectorizer.analyzer not in ("char", "word"):
        raise ValueError("NgramBlock follows lowercase=True, strip_accents=None, analyzer char or word only")
    if vectorizer.analyzer == "word" and (vectorizer.token_pattern != r"\S+" or vectorizer.stop_words is not None):
        raise ValueError("NgramBlock's word analyzer splits on whitespace, without stop words")
    vocabulary = [""] * len(vectorizer.vocabulary_)
    for gram, column in vectorizer.vocabulary_.items():
        vocabulary[column] = gram
    low, high = vectorizer.ngram_range
    idf = tuple(float(x) for x in np.asarray(vectorizer.idf_, dtype=np.float32))
    return NgramBlock(vectorizer.analyzer, (int(low), int(high)), tuple(vocabulary), idf)


def fit(texts: Sequence[str], labels: Sequence[str], spec: NgramSpec, calibrate: bool = True) -> Fitted:
    """Fit the vectorizers and a LinearSVC; with `calibrate`, the softmax temperature out of fold."""
    blocks = vectorizers(spec)
    features = sparse.hstack([v.fit_transform(list(texts)) for v in blocks]).tocsr()
    y = np.asarray(labels)
    classifier = LinearSVC(C=spec.c).fit(features, y)
    temperature = calibrated_temperature(features, y, spec) if calibrate else 1.0
    model = LinearNgramModel.from_weights(
        blocks=[block_of(v) for v in blocks],
        labels=[str(c) for c in classifier.classes_],
        weights=np.asarray(classifier.coef_, dtype=np.float64).tolist(),
        intercepts=[float(b) for b in classifier.intercept_],
        temperature=temperature,
        meta={"examples": len(texts), "c": spec.c},
    )
    return Fitted(model, blocks, classifier)


def calibrated_temperature(features: sparse.csr_matrix, labels: np.ndarray, spec: NgramSpec) -> float:
    """The softmax temperature that makes out-of-fold margins the most likely probabilities."""
    folds = max(2, spec.calibration_folds)
    fold_of = np.zeros(len(labels), dtype=int)
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        fold_of[where] = np.arange(len(where)) % folds
    margins, truth = [], []
    for k in range(folds):
        train, test = fold_of != k, fold_of == k
        model = LinearSVC(C=spec.c).fit(features[train], labels[train])
        index = {str(c): i for i, c in enumerate(model.classes_)}
        keep = np.array([str(t) in index for t in labels[test]])
        if not keep.any():
            continue
        margins.append(model.decision_function(features[test][keep]))
        truth.append(np.array([index[str(t)] for t in labels[test][keep]]))
    best_t, best_nll = 10.0, float("inf")
    for t in TEMPERATURES:
        nll = 0.0
        for m, y in zip(margins, truth, strict=True):
            z = m * t
            if z.ndim == 1:  # two classes: one margin, positive for the second
                z = np.stack([np.zeros_like(z), z], axis=1)  # sigmoid(t·m), as LinearNgramModel scores it
            z = z - z.max(axis=1, keepdims=True)
            log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            nll -= float(log_p[np.arange(len(y)), y].sum())
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def fit_model(texts: Sequence[str], labels: Sequence[str], spec: dict[str, Any]) -> LinearNgramModel:
    """The trainer of the embedded engine's model (nlu/engine.py), as `run_job` calls it."""
    ngrams = {k: tuple(spec[k]) if spec.get(k) is not None else None for k in ("char_ngrams", "word_ngrams")}
    return fit(texts, labels, NgramSpec(**{**spec, **ngrams})).model


def run_job(raw: dict[str, Any]) -> None:
    """Call the job's trainer ("module:function", returning a LinearNgramModel) and store the model."""
    started = time.perf_counter()
    module, _, name = str(raw["trainer"]).partition(":")
    trainer = getattr(importlib.import_module(module), name)
    model = trainer(**raw["args"])
    if not isinstance(model, LinearNgramModel):
        raise TypeError(f"{raw['trainer']} returned {type(model).__name__}, not a LinearNgramModel")
    model.meta["training_seconds"] = round(time.perf_counter() - started, 3)
    artefact.save(model, Path(raw["path"]), raw["key"])


def main(argv: Sequence[str]) -> int:
    """`python -m nlu.fit JOB.json`: train in a process of its own (artefact.train_in_child), so that
    the process that serves never imports scikit-learn."""
    run_job(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
