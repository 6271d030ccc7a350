"""The learned situation detector: warning signs of a scam, and a worker already abroad in trouble.

Two linear models (logistic regression) on the character and word n-grams of the folded text —
the features of the embedded NLU, stored and scored as its `LinearNgramModel` (nlu/artefact.py) — trained on the
stories of actions/data/situations.yaml against ordinary questions (that file's, and the example
questions of the knowledge base and of nlu/data/). The cue patterns of actions/brokers.yaml stay;
the dialogue warns when a cue fires or the model's probability reaches the threshold of
actions/brokers.yaml `detector:` (fitted for at most 1 % false alarms, scripts/bench_brokers.py).

A server loads the stored model (`SituationDetector.load_or_train`, trained in a child process when
missing, so scikit-learn never enters it); tests and benchmarks train in-process (`for_kb`).
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nlu.normalize as nlu_normalize
from knowledge.yamlfile import read_yaml
from nlu import artefact
from nlu.artefact import LinearNgramModel
from nlu.normalize import Normalized, normalize

if TYPE_CHECKING:
    from knowledge.model import KnowledgeBase

log = logging.getLogger(__name__)

STORIES_FILE = Path(__file__).with_name("data") / "situations.yaml"
TRAINING_CODE = Path(__file__).with_name("situations_fit.py")  # its source is part of the model's key
NORMALIZE_CODE = (Path(nlu_normalize.__file__), Path(nlu_normalize.__file__).with_name("abbreviations.yaml"))
MODEL_PREFIX, MODEL_SUFFIX = "situations-", ".model"
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


def load_stories(path: Path = STORIES_FILE, dev_offset: int = 0) -> list[Story]:
    """The stories of a situations file, grouped (actions/data/) or flat (tests/data/fresh/). The
    development part is every fifth story of a group (dev_offset 1–4 rotate it, for a cross-check)."""
    raw = read_yaml(path) or []
    out: list[Story] = []
    for item in raw:
        tag = str(item.get("situation", ""))
        warning, urgent = bool(item.get("warning")), bool(item.get("urgent"))
        if isinstance(item.get("q"), list):
            for i, q in enumerate(item["q"], start=1):
                out.append(Story(str(q), warning, urgent, tag, dev=i % DEV_EVERY == dev_offset))
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
    rule_question_threshold: float = 0.9  # the warning threshold for a question about a rule or a word
    not_abroad_threshold: float = 0.95  # the urgent threshold when nothing places the worker abroad
    no_context_threshold: float = 0.8  # the warning threshold when nothing ties the message to going abroad
    settled_threshold: float = 0.85  # the warning threshold when the trouble is over or the worker is fine
    home_threshold: float = 0.97  # a workplace at home named and nothing of going abroad or of a broker
    settled_urgent_threshold: float = 0.98  # the urgent threshold then

    @classmethod
    def load(cls, path: Path = CONFIG_FILE) -> DetectorConfig:
        raw = (read_yaml(path) or {}).get("detector") or {}
        return cls(
            char_ngrams=tuple(raw.get("char_ngrams", (2, 5))),
            word_ngrams=tuple(raw.get("word_ngrams", (1, 2))),
            c=float(raw.get("c", 4.0)),
            warning_threshold=float(raw.get("warning_threshold", 0.5)),
            urgent_threshold=float(raw.get("urgent_threshold", 0.5)),
            cue_floor=float(raw.get("cue_floor", 0.0)),
            min_words=int(raw.get("min_words", 5)),
            rule_question_threshold=float(raw.get("rule_question_threshold", 0.9)),
            not_abroad_threshold=float(raw.get("not_abroad_threshold", 0.95)),
            no_context_threshold=float(raw.get("no_context_threshold", 0.8)),
            settled_threshold=float(raw.get("settled_threshold", 0.85)),
            home_threshold=float(raw.get("home_threshold", 0.97)),
            settled_urgent_threshold=float(raw.get("settled_urgent_threshold", 0.98)),
        )


@dataclass(frozen=True, slots=True)
class Reading:
    """What the detector makes of one message."""

    warning: float  # probability of a warning sign
    urgent: float  # probability of a worker abroad in trouble
    warning_flag: bool
    urgent_flag: bool


class SituationDetector:
    """Two logistic regressions over the folded text's n-grams, one per label, as one stored model."""

    def __init__(self, model: LinearNgramModel, config: DetectorConfig) -> None:
        self.model = model
        self.config = config
        self.example_count = int(model.meta.get("examples", 0))
        self.training_seconds = float(model.meta.get("training_seconds", 0.0))

    @staticmethod
    def prepare(norm: Normalized) -> str:
        return f" {norm.folded} "

    @classmethod
    def train(
        cls, stories: Iterable[Story], ordinary: Iterable[str], config: DetectorConfig | None = None
    ) -> SituationDetector:
        """Train in this process on stories (dev stories left out) and ordinary questions (both labels
        false); imports scikit-learn (tests, benchmarks). A server uses `load_or_train`."""
        from actions.situations_fit import fit_detector  # the training libraries, only when training here

        config = config or DetectorConfig.load()
        started = time.perf_counter()
        model = fit_detector(**_training_job(stories, ordinary, config))
        model.meta["training_seconds"] = round(time.perf_counter() - started, 3)
        return cls(model, config)

    @classmethod
    def for_kb(cls, kb: KnowledgeBase) -> SituationDetector:
        """The detector for a knowledge base, trained in this process once per set of questions."""
        return _trained(tuple(ordinary_questions(kb)))

    @classmethod
    def load_or_train(
        cls, kb: KnowledgeBase, models_dir: Path, config: DetectorConfig | None = None
    ) -> SituationDetector:
        """The stored detector for these stories, questions and code; if there is none, train it in a
        child process (scikit-learn stays out of this one) and store it beside the NLU's model."""
        config = config or DetectorConfig.load()
        ordinary = ordinary_questions(kb)
        # The key is read off the raw inputs (normalising ~2,500 texts at every start-up would cost
        # 0.2 s): the stories, the questions, the settings and the code that trains and normalises.
        parts: list[bytes | str] = [f"format {artefact.FORMAT_VERSION}", repr(config), STORIES_FILE.read_bytes()]
        parts += [path.read_bytes() for path in (TRAINING_CODE, Path(__file__), *NORMALIZE_CODE)]
        spec = importlib.util.find_spec("sklearn")
        parts.append(Path(spec.origin).read_bytes() if spec and spec.origin else "no scikit-learn")
        parts += ordinary
        key = artefact.content_key(parts)
        path = models_dir / f"{MODEL_PREFIX}{key[:24]}{MODEL_SUFFIX}"

        def train() -> None:
            job = _training_job(load_stories(), ordinary, config)
            artefact.train_in_child("actions.situations_fit:fit_detector", job, path, key)

        try:
            model, trained = artefact.load_or_store(path, key, train)
        except OSError as exc:  # a read-only data dir: train here
            log.warning("cannot store the situation detector under %s (%s): training here", models_dir, exc)
            return cls.train(load_stories(), ordinary, config)
        if trained:
            for stale in models_dir.glob(f"{MODEL_PREFIX}*{MODEL_SUFFIX}"):
                if stale != path:
                    stale.unlink(missing_ok=True)
        return cls(model, config)

    def probabilities(self, norm: Normalized) -> tuple[float, float]:
        """(warning, urgent) probabilities for a normalised message."""
        warning, urgent = self.model.sigmoids(self.prepare(norm))
        return warning, urgent

    def read(self, norm: Normalized) -> Reading:
        warning, urgent = self.probabilities(norm)
        story = len(norm.folded.split()) >= self.config.min_words
        return Reading(
            warning=warning,
            urgent=urgent,
            warning_flag=story and warning >= self.config.warning_threshold,
            urgent_flag=story and urgent >= self.config.urgent_threshold,
        )


def _training_job(stories: Iterable[Story], ordinary: Iterable[str], config: DetectorConfig) -> dict[str, Any]:
    """The trainer's arguments as plain data (actions/situations_fit.py fit_detector)."""
    texts: list[str] = []
    rows: list[list[int]] = []
    for s in stories:
        if not s.dev:
            texts.append(SituationDetector.prepare(normalize(s.q)))
            rows.append([int(s.warning), int(s.urgent)])
    for q in ordinary:
        texts.append(SituationDetector.prepare(normalize(q)))
        rows.append([0, 0])
    spec = {"char_ngrams": list(config.char_ngrams), "word_ngrams": list(config.word_ngrams), "c": config.c}
    return {"texts": texts, "rows": rows, "labels": list(LABELS), "spec": spec}


@lru_cache(maxsize=2)
def _trained(ordinary: tuple[str, ...]) -> SituationDetector:
    return SituationDetector.train(load_stories(), ordinary)
