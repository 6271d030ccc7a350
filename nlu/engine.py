"""The embedded engine: a linear model on character and word n-grams of the folded text.

Trained once (nlu/fit.py, scikit-learn) and stored as a small file under the data directory,
keyed by what the training read (`training_key`); serving loads that file and scores in pure
Python (nlu/linear.py, stored by nlu/artefact.py), without scikit-learn, SciPy or NumPy.
"""

from __future__ import annotations

import heapq
import importlib.util
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.model import KnowledgeBase
from knowledge.yamlfile import read_yaml
from nlu import artefact
from nlu.linear import LinearNgramModel
from nlu.normalize import ABBREVIATIONS_FILE, Normalized, normalize
from nlu.placemask import load_mask
from nlu.training import GAZETTEER_FILE, NLU_DATA_DIR, Example, label_topic, training_examples
from nlu.types import Candidate, NluEngine, Understanding

CONFIG_FILE = Path(__file__).with_name("embedded.yaml")
MODEL_PREFIX = "embedded-"
MODEL_SUFFIX = ".model"
_NLU_DIR = Path(__file__).resolve().parent
# The code whose change changes what training produces (hashed into the model's key).
TRAINING_CODE = (
    *(
        _NLU_DIR / name
        for name in (
            "engine.py",
            "training.py",
            "fit.py",
            "artefact.py",
            "linear.py",
            "normalize.py",
            "placemask.py",
            "embedded.yaml",
        )
    ),
    ABBREVIATIONS_FILE,
    GAZETTEER_FILE,
)

log = logging.getLogger(__name__)

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
        raw = read_yaml(path) or {}
        return cls(
            char_ngrams=tuple(raw.get("char_ngrams", (2, 5))),
            word_ngrams=tuple(raw.get("word_ngrams", (1, 2))),
            c=float(raw.get("c", 1.0)),
            calibration_folds=int(raw.get("calibration_folds", 2)),
            ranking_size=int(raw.get("ranking_size", 5)),
        )


def prepare(norm: Normalized) -> str:
    """The text the model sees: the folded view, places as their province (nlu/placemask.py),
    padded so that n-grams mark word edges."""
    return f" {load_mask().apply(norm.folded)} "


def training_key(kb: KnowledgeBase, config: EngineConfig, directory: Path = NLU_DATA_DIR) -> str:
    """What the trained model depends on: the examples, the nlu data, the training code and its settings.

    Cheap enough for every start-up (no YAML parsing of nlu/data, no scikit-learn import: the
    installed scikit-learn is named by its __init__.py's bytes, which carry its version).
    """
    parts: list[bytes | str] = [f"format {artefact.FORMAT_VERSION}", repr(config)]
    parts += [path.read_bytes() for path in TRAINING_CODE]
    spec = importlib.util.find_spec("sklearn")
    parts.append(Path(spec.origin).read_bytes() if spec and spec.origin else "no scikit-learn")
    for path in sorted(directory.glob("*.yml")):
        parts += [path.name, path.read_bytes()]
    for entry in kb.entries.values():
        parts += [entry.id, entry.topic, entry.title, *entry.examples, "\x00"]
    return artefact.content_key(parts)


def model_path(models_dir: Path, key: str) -> Path:
    """The file the model with this key is stored in."""
    return models_dir / f"{MODEL_PREFIX}{key[:24]}{MODEL_SUFFIX}"


class EmbeddedEngine:
    """Scores a message with a stored `LinearNgramModel`; topics come from the knowledge base."""

    name = "embedded"

    def __init__(self, kb: KnowledgeBase, model: LinearNgramModel, config: EngineConfig) -> None:
        if len(model.labels) < 3 or model.binary:
            raise ValueError("the embedded engine needs at least three labels")  # one margin per label
        self._kb = kb
        self._config = config
        self.model = model
        self._labels = model.labels
        self._topics = [label_topic(kb, label) for label in self._labels]
        self.temperature = model.temperature
        self.training_seconds = float(model.meta.get("training_seconds", 0.0))
        self.example_count = int(model.meta.get("examples", 0))
        self.trained_now = False  # True when this process trained it (not loaded from a file)

    @classmethod
    def fit(cls, kb: KnowledgeBase, examples: Sequence[Example], config: EngineConfig) -> EmbeddedEngine:
        """Train from scratch with scikit-learn (imported here: serving never needs it)."""
        from nlu.fit import NgramSpec, fit  # the training stack, at its point of use

        started = time.perf_counter()
        spec = NgramSpec(config.char_ngrams, config.word_ngrams, config.c, config.calibration_folds)
        model = fit([prepare(normalize(ex.text)) for ex in examples], [ex.label for ex in examples], spec).model
        model.meta["training_seconds"] = round(time.perf_counter() - started, 3)
        engine = cls(kb, model, config)
        engine.trained_now = True
        return engine

    @classmethod
    def train(cls, kb: KnowledgeBase, config: EngineConfig | None = None) -> EmbeddedEngine:
        """Train from scratch (tests, benchmarks); `load_or_train` keeps the result for next time."""
        return cls.fit(kb, training_examples(kb), config or EngineConfig.load())

    @classmethod
    def load_or_train(cls, kb: KnowledgeBase, models_dir: Path, config: EngineConfig | None = None) -> EmbeddedEngine:
        """The stored model for this knowledge and code; if there is none, train it (in a child process) and store it.

        The child process keeps scikit-learn, SciPy and NumPy, and training's memory, out of this one.
        """
        config = config or EngineConfig.load()
        key = training_key(kb, config)
        path = model_path(models_dir, key)
        started = time.perf_counter()

        def train() -> None:
            examples = training_examples(kb)
            spec = {
                "char_ngrams": list(config.char_ngrams),
                "word_ngrams": list(config.word_ngrams),
                "c": config.c,
                "calibration_folds": config.calibration_folds,
            }
            args = {"texts": [prepare(normalize(ex.text)) for ex in examples], "labels": [ex.label for ex in examples]}
            artefact.train_in_child("nlu.fit:fit_model", {**args, "spec": spec}, path, key)

        try:
            model, trained = artefact.load_or_store(path, key, train)
        except OSError as exc:  # a read-only data dir: train here, serve it, train again next time
            log.warning("cannot store a trained model under %s (%s): training in this process", models_dir, exc)
            return cls.train(kb, config)
        if not trained:
            return cls(kb, model, config)
        log.info("trained the embedded model in %.1f s: %s", time.perf_counter() - started, path)
        for stale in models_dir.glob(f"{MODEL_PREFIX}*{MODEL_SUFFIX}"):
            if stale != path:
                stale.unlink(missing_ok=True)
        engine = cls(kb, model, config)
        engine.trained_now = True
        return engine

    def understand(self, norm: Normalized) -> Understanding:
        """Rank labels for an already normalised message."""
        probs = self.model.probabilities(prepare(norm))
        by_topic: dict[str, float] = defaultdict(float)
        for topic, p in zip(self._topics, probs, strict=True):
            by_topic[topic] += p
        topic, topic_p = max(by_topic.items(), key=lambda kv: kv[1])
        order = heapq.nlargest(self._config.ranking_size, range(len(probs)), key=probs.__getitem__)
        ranking = tuple(Candidate(label=self._labels[i], topic=self._topics[i], score=probs[i]) for i in order)
        in_topic = [c for c in ranking if c.topic == topic]
        intent = in_topic[0].label if in_topic else ranking[0].label
        return Understanding(intent=intent, topic=topic, topic_confidence=topic_p, ranking=ranking)

    async def parse(self, text: str) -> Understanding:
        return self.understand(normalize(text))
