"""Unanswered questions grouped by similarity: character n-gram TF-IDF, cosine, average linkage."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

# Two questions join a group when their average cosine distance stays under this.
DISTANCE_THRESHOLD = 0.6
# Distinct texts clustered at once (the rest, the rarest, stay groups of their own).
MAX_DISTINCT = 2000
MAX_SAMPLES = 6


@dataclass(frozen=True, slots=True)
class Question:
    """One unanswered inquiry: its id, the text as typed (redacted) and its folded form."""

    id: int
    text: str
    key: str
    user_id: str
    at: dt.datetime


@dataclass(slots=True)
class QuestionGroup:
    questions: list[Question] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.questions)

    @property
    def ids(self) -> list[int]:
        return sorted(q.id for q in self.questions)

    @property
    def users(self) -> int:
        return len({q.user_id for q in self.questions})

    @property
    def last_at(self) -> dt.datetime:
        return max(q.at for q in self.questions)

    @property
    def first_at(self) -> dt.datetime:
        return min(q.at for q in self.questions)

    @property
    def representative(self) -> str:
        """The most frequent wording (by folded form), as one worker typed it."""
        key, _n = Counter(q.key for q in self.questions).most_common(1)[0]
        return next(q.text for q in self.questions if q.key == key)

    def samples(self, limit: int = MAX_SAMPLES) -> list[tuple[str, int]]:
        """Distinct wordings with how often each came, most frequent first."""
        counts = Counter(q.key for q in self.questions)
        text_of: dict[str, str] = {}
        for q in self.questions:
            text_of.setdefault(q.key, q.text)
        return [(text_of[k], n) for k, n in counts.most_common(limit)]


def _clusters(keys: Sequence[str], threshold: float) -> list[int]:
    """A cluster label for each distinct folded text."""
    if len(keys) < 2:
        return [0] * len(keys)
    # NumPy and scikit-learn only when an official opens the grouped questions: serving does without.
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit_transform(keys)
    similarity = (vectors @ vectors.T).toarray()
    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=threshold
    )
    return [int(label) for label in model.fit_predict(distance)]


def group_questions(
    questions: Sequence[Question], threshold: float = DISTANCE_THRESHOLD, max_distinct: int = MAX_DISTINCT
) -> list[QuestionGroup]:
    """Groups of similar questions, biggest first (then the most recent)."""
    by_key: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        by_key[q.key.strip() or q.text.strip().lower()].append(q)
    ranked = sorted(by_key, key=lambda k: (-len(by_key[k]), k))
    clustered, alone = ranked[:max_distinct], ranked[max_distinct:]
    groups: dict[int, QuestionGroup] = defaultdict(QuestionGroup)
    for key, label in zip(clustered, _clusters(clustered, threshold), strict=True):
        groups[label].questions.extend(by_key[key])
    result = list(groups.values()) + [QuestionGroup(list(by_key[k])) for k in alone]
    result.sort(key=lambda g: (-g.size, -g.last_at.timestamp()))
    return result
