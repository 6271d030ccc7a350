"""The embedded engine's per-message arithmetic gives scikit-learn's own numbers, faster."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from bot.evaluate import load_questions
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine, TfidfRow
from nlu.normalize import normalize


def reference_margins(engine: EmbeddedEngine, text: str) -> np.ndarray:
    """scikit-learn's way: both vectorizers' transform, stacked, through decision_function."""
    features = sparse.hstack([engine._char.transform([text]), engine._word.transform([text])]).tocsr()
    return np.asarray(engine._model.decision_function(features)[0])


def test_margins_and_rankings_match_scikit_learn(engine: EmbeddedEngine) -> None:
    texts = [q.q for q in load_questions()] + ["", "   ", "zzzz qqqq", "đi xuất khẩu lao động nhật cần gì", "xkld"]
    for raw in texts:
        text = engine._prepare(normalize(raw))
        fast, slow = engine._decision(text), reference_margins(engine, text)
        np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-6)
        assert engine._labels[int(np.argmax(fast))] == engine._labels[int(np.argmax(slow))], raw


def test_a_row_is_the_vectorizers_row(engine: EmbeddedEngine) -> None:
    row = TfidfRow(engine._char)
    text = engine._prepare(normalize("Học nghề miễn phí ở Lào Cai cho người dân tộc thiểu số"))
    columns, values = row(text)
    dense = engine._char.transform([text]).toarray()[0]
    expected = np.zeros_like(dense)
    expected[columns] = values
    np.testing.assert_allclose(expected, dense, rtol=1e-6, atol=1e-7)
    assert np.isclose(np.linalg.norm(values), 1.0, atol=1e-6)  # unit length, as norm="l2"


def test_a_text_with_no_known_ngram_gets_the_bias_alone(engine: EmbeddedEngine) -> None:
    columns, values = TfidfRow(engine._word)(" ȸȹ ")
    assert len(columns) == 0 and len(values) == 0
    np.testing.assert_allclose(engine._decision(" ȸȹ "), reference_margins(engine, " ȸȹ "), atol=1e-6)


def test_other_vectorizer_settings_are_refused(kb: KnowledgeBase) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    plain = TfidfVectorizer(analyzer="char").fit(["xin chao", "hoc nghe"])  # no sublinear_tf
    with pytest.raises(ValueError, match="sublinear_tf"):
        TfidfRow(plain)
