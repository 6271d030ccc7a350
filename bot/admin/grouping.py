"""Unanswered questions grouped by similarity: character n-gram TF-IDF of their content words
(what a question asks — "bao nhiêu", "chi phí", "giá" — left out, grouping.yaml), cosine,
average linkage; groups of off-topic noise (weather, gold prices) marked so they sort last."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from knowledge.yamlfile import read_yaml

GROUPING_FILE = Path(__file__).with_name("grouping.yaml")

# Two questions join a group when their average cosine distance stays under this.
DISTANCE_THRESHOLD = 0.6
# Distinct contents clustered at once (the rest, the rarest, stay groups of their own): the
# clustering is quadratic in it (800: ~0.2 s here).
MAX_DISTINCT = 800
MAX_SAMPLES = 6
MAX_WORDINGS = 30  # distinct wordings shown (each with its own checkbox) in one group


@dataclass(frozen=True, slots=True)
class Lexicon:
    """What grouping.yaml says: question phrases and words to drop, off-topic phrases."""

    phrases: re.Pattern[str]
    words: frozenset[str]
    off_topic: re.Pattern[str]

    def content(self, key: str) -> str:
        """The words of a folded question that say what it is about (the whole key if none)."""
        kept = [w for w in self.phrases.sub(" ", key).split() if w not in self.words and not w.isdigit()]
        return " ".join(kept) or key

    def is_noise(self, key: str) -> bool:
        return self.off_topic.search(key) is not None


def _alternation(phrases: Sequence[Any]) -> re.Pattern[str]:
    ordered = sorted({str(p).strip() for p in phrases if str(p).strip()}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in ordered) + r")\b" if ordered else r"(?!)")


@lru_cache(maxsize=2)
def load_lexicon(path: Path = GROUPING_FILE) -> Lexicon:
    data: Mapping[str, Any] = read_yaml(path) or {}
    return Lexicon(
        phrases=_alternation(data.get("question_phrases") or []),
        words=frozenset(str(w) for w in data.get("question_words") or []),
        off_topic=_alternation(data.get("off_topic") or []),
    )


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
    noise: bool = False  # most of its questions are off-topic noise (grouping.yaml off_topic)

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

    def wordings(self, limit: int = MAX_WORDINGS) -> list[tuple[str, list[int]]]:
        """Each distinct wording (as one worker typed it) with the ids of the questions worded so,
        most frequent first: what an editor selects one by one."""
        ids: dict[str, list[int]] = defaultdict(list)
        text_of: dict[str, str] = {}
        for q in self.questions:
            ids[q.key].append(q.id)
            text_of.setdefault(q.key, q.text)
        ranked = sorted(ids, key=lambda k: (-len(ids[k]), k))[:limit]
        return [(text_of[k], sorted(ids[k])) for k in ranked]

    def rest_ids(self, limit: int = MAX_WORDINGS) -> list[int]:
        """The ids of the wordings `wordings` leaves out."""
        shown = {i for _t, ids in self.wordings(limit) for i in ids}
        return sorted(q.id for q in self.questions if q.id not in shown)

    @property
    def keys(self) -> list[str]:
        """Its distinct folded wordings, most frequent first."""
        return [k for k, _n in Counter(q.key for q in self.questions).most_common()]


def _clusters(contents: Sequence[str], threshold: float) -> list[int]:
    """A cluster label for each distinct content string."""
    if len(contents) < 2:
        return [0] * len(contents)
    # NumPy and scikit-learn only when an official opens the grouped questions: serving does without.
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    # Hashed n-grams (no vocabulary to build and sort: most of the time TfidfVectorizer took).
    hashed = HashingVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), alternate_sign=False, norm=None, n_features=2**18
    ).transform(contents)
    vectors = TfidfTransformer(sublinear_tf=True).fit_transform(hashed)
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
    """Groups of similar questions, biggest first (then the most recent).

    Wordings that say the same thing once the question words are gone ("cho em hỏi X bao nhiêu",
    "X là bao nhiêu") are one point to cluster: the clustering (quadratic) sees far fewer points
    than there are wordings. The `max_distinct` most asked contents are clustered; rarer ones
    stay groups of their own."""
    lexicon = load_lexicon()
    by_content: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        by_content[lexicon.content(q.key.strip() or q.text.strip().lower())].append(q)
    ranked = sorted(by_content, key=lambda k: (-len(by_content[k]), k))
    clustered, alone = ranked[:max_distinct], ranked[max_distinct:]
    groups: dict[int, QuestionGroup] = defaultdict(QuestionGroup)
    for content, label in zip(clustered, _clusters(clustered, threshold), strict=True):
        groups[label].questions.extend(by_content[content])
    result = list(groups.values()) + [QuestionGroup(list(by_content[k])) for k in alone]
    noisy = {q.key: lexicon.is_noise(q.key) for q in questions}
    for g in result:
        g.noise = 2 * sum(noisy[q.key] for q in g.questions) >= g.size
    result.sort(key=lambda g: (-g.size, -g.last_at.timestamp()))
    return result


_warming: list[threading.Thread] = []


def warm_up() -> None:
    """Load NumPy and scikit-learn for the grouping (a second or more, far longer on a busy
    machine) in a thread of its own, once a process: the dashboard starts it on its first request,
    so the unanswered page does not wait for the import; a process serving only the chat never
    loads them."""
    if not _warming:
        thread = threading.Thread(target=_clusters, args=(["a b", "a c"], DISTANCE_THRESHOLD), daemon=True)
        _warming.append(thread)
        thread.start()
