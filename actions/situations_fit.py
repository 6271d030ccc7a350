"""Training of the situation detector (actions/situations.py): the only part that needs scikit-learn.

Run in a child process (`nlu.artefact.train_in_child`) by a serving process, or called directly
by tests and benchmarks; either way it returns a `LinearNgramModel` with one row per label.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlu.artefact import LinearNgramModel
from nlu.fit import block_of


def fit_detector(
    texts: Sequence[str], rows: Sequence[Sequence[int]], labels: Sequence[str], spec: dict[str, Any]
) -> LinearNgramModel:
    """One logistic regression per label over the texts' character and word n-grams (tf-idf)."""
    char = TfidfVectorizer(analyzer="char", ngram_range=tuple(spec["char_ngrams"]), sublinear_tf=True, dtype=np.float32)
    word = TfidfVectorizer(
        analyzer="word",
        ngram_range=tuple(spec["word_ngrams"]),
        token_pattern=r"\S+",
        sublinear_tf=True,
        dtype=np.float32,
    )
    features = sparse.hstack([char.fit_transform(list(texts)), word.fit_transform(list(texts))]).tocsr()
    y = np.asarray(rows, dtype=int)
    weights, intercepts = [], []
    for k in range(len(labels)):
        model = LogisticRegression(C=spec["c"], class_weight="balanced", solver="liblinear", dual=True)
        model.fit(features, y[:, k])
        weights.append(np.asarray(model.coef_[0], dtype=np.float64).tolist())
        intercepts.append(float(model.intercept_[0]))
    return LinearNgramModel.from_weights(
        blocks=[block_of(char), block_of(word)],
        labels=list(labels),
        weights=weights,
        intercepts=intercepts,
        meta={"examples": len(texts), "c": spec["c"]},
    )
