"""The stored model's pure-Python arithmetic gives scikit-learn's own numbers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.evaluate import load_questions
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine, EngineConfig, prepare
from nlu.fit import Fitted, NgramSpec, block_of, fit
from nlu.normalize import normalize
from nlu.training import training_examples

ODD_TEXTS = ["", "   ", "zzzz qqqq", "đi xuất khẩu lao động nhật cần gì", "xkld", " ȸȹ ", "A  B\t\tC"]


@pytest.fixture(scope="module")
def fitted(kb: KnowledgeBase) -> Fitted:
    config = EngineConfig.load()
    examples = training_examples(kb)
    spec = NgramSpec(config.char_ngrams, config.word_ngrams, config.c, config.calibration_folds)
    return fit([prepare(normalize(ex.text)) for ex in examples], [ex.label for ex in examples], spec, calibrate=False)


def test_margins_and_rankings_match_scikit_learn(fitted: Fitted) -> None:
    texts = [prepare(normalize(raw)) for raw in [q.q for q in load_questions()] + ODD_TEXTS]
    reference = fitted.reference_margins(texts)
    for text, slow in zip(texts, reference, strict=True):
        fast = np.array(fitted.model.margins(text))
        np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-6)
        assert fitted.model.predict(text) == fitted.classifier.classes_[int(np.argmax(slow))], text


def test_a_row_is_the_vectorizers_row(fitted: Fitted) -> None:
    text = prepare(normalize("Học nghề miễn phí ở Lào Cai cho người dân tộc thiểu số"))
    for vectorizer, block in zip(fitted.vectorizers, fitted.model.blocks, strict=True):
        assert list(block.grams(text)) == vectorizer.build_analyzer()(text)
        columns, values = block.row(text)
        expected = vectorizer.transform([text]).toarray()[0]
        dense = np.zeros_like(expected)
        dense[columns] = values
        np.testing.assert_allclose(dense, expected, rtol=1e-6, atol=1e-7)
        assert np.isclose(np.linalg.norm(values), 1.0, atol=1e-6)  # unit length, as norm="l2"


def test_a_text_with_no_known_ngram_gets_the_bias_alone(fitted: Fitted) -> None:
    assert fitted.model.features(" ȸȹ ") == ([], [])
    assert fitted.model.margins(" ȸȹ ") == list(fitted.model.intercepts)


def test_a_binary_classifier_is_stored_the_same_way() -> None:
    texts = [
        "dong tien truoc",
        "nop phi dat coc",
        "chuyen khoan truoc",
        "hoc nghe o dau",
        "viec lam gan nha",
        "hoi ve bhxh",
    ]
    labels = ["warn", "warn", "warn", "ok", "ok", "ok"]
    fitted = fit(texts, labels, NgramSpec(c=1.0), calibrate=False)
    assert fitted.model.binary and fitted.model.labels == ("ok", "warn")
    probe = ["nop tien truoc di", "hoc nghe"]
    np.testing.assert_allclose(
        [fitted.model.margins(t)[0] for t in probe], fitted.reference_margins(probe), rtol=1e-5, atol=1e-6
    )
    assert fitted.model.predict("nop tien truoc di") == "warn"


def test_other_vectorizer_settings_are_refused() -> None:
    plain = TfidfVectorizer(analyzer="char").fit(["xin chao", "hoc nghe"])  # no sublinear_tf
    with pytest.raises(ValueError, match="sublinear_tf"):
        block_of(plain)


def test_the_engine_ranks_like_its_model(engine: EmbeddedEngine) -> None:
    understanding = engine.understand(normalize("học nghề miễn phí ở lào cai"))
    probs = engine.model.probabilities(prepare(normalize("học nghề miễn phí ở lào cai")))
    assert understanding.ranking[0].score == max(probs)
    assert abs(sum(probs) - 1.0) < 1e-9
