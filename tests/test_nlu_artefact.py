"""The trained model is stored once and loaded by serving without scikit-learn, SciPy or NumPy."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from knowledge.model import KnowledgeBase
from nlu import artefact
from nlu.engine import EmbeddedEngine, EngineConfig, model_path, prepare, training_key
from nlu.normalize import normalize

QUESTION = "đi xuất khẩu lao động nhật cần gì"


def stored(engine: EmbeddedEngine, kb: KnowledgeBase, models_dir: Path) -> Path:
    """The session's trained model, stored where load_or_train looks for it."""
    key = training_key(kb, EngineConfig.load())
    path = model_path(models_dir, key)
    artefact.save(engine.model, path, key)
    return path


def test_a_stored_model_answers_as_the_trained_one(engine: EmbeddedEngine, kb: KnowledgeBase, tmp_path: Path) -> None:
    stored(engine, kb, tmp_path)
    loaded = EmbeddedEngine.load_or_train(kb, tmp_path)
    assert not loaded.trained_now
    text = prepare(normalize(QUESTION))
    assert loaded.model.margins(text) == engine.model.margins(text)
    assert loaded.understand(normalize(QUESTION)) == engine.understand(normalize(QUESTION))


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data[:-9] + bytes([data[-9] ^ 0xFF]) + data[-8:],  # a flipped weight byte
        lambda data: b"garbage",
        lambda data: data.replace(b'"format":1', b'"format":9', 1),  # a later format
        lambda data: b"LDLNGRAM" + (2).to_bytes(4, "little") + b"[]",  # a header that is not an object
    ],
)
def test_a_damaged_or_foreign_file_is_not_loaded(
    engine: EmbeddedEngine, kb: KnowledgeBase, tmp_path: Path, damage: object
) -> None:
    path = stored(engine, kb, tmp_path)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    assert artefact.load(path, training_key(kb, EngineConfig.load())) is None


def test_a_file_for_other_knowledge_is_not_loaded(engine: EmbeddedEngine, kb: KnowledgeBase, tmp_path: Path) -> None:
    path = stored(engine, kb, tmp_path)
    changed = KnowledgeBase(kb.documents, dict(list(kb.entries.items())[1:]), kb.responses, kb.provinces)
    assert training_key(changed, EngineConfig.load()) != training_key(kb, EngineConfig.load())
    assert artefact.load(path, training_key(changed, EngineConfig.load())) is None
    assert artefact.load(tmp_path / "missing.model", "any") is None


def test_a_missing_model_is_trained_and_stored(kb: KnowledgeBase, tmp_path: Path) -> None:
    (tmp_path / "embedded-stale.model").write_bytes(b"an older model")
    engine = EmbeddedEngine.load_or_train(kb, tmp_path)
    assert engine.trained_now
    models = [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")]  # not the training lock
    assert models == [model_path(tmp_path, training_key(kb, EngineConfig.load())).name]
    assert not EmbeddedEngine.load_or_train(kb, tmp_path).trained_now


def test_another_classifier_is_trained_in_a_child_and_stored_the_same_way(tmp_path: Path) -> None:
    """The API another detector uses: train_in_child(trainer, args, path, key), then load(path, key)."""
    texts = [" nop tien dat coc truoc ", " chuyen khoan phi truoc ", " hoc nghe o dau ", " viec lam gan nha "]
    spec = {"char_ngrams": [2, 4], "word_ngrams": [1, 1], "c": 1.0, "calibration_folds": 2}
    path = tmp_path / "models" / "warning-abc.model"
    args = {"texts": texts, "labels": ["warn", "warn", "ok", "ok"], "spec": spec}
    artefact.train_in_child("nlu.fit:fit_model", args, path, "abc")
    model = artefact.load(path, "abc")
    assert model is not None and model.binary and model.labels == ("ok", "warn")
    assert model.predict(" nop tien truoc ") == "warn" and model.predict(" hoc nghe ") == "ok"
    assert model.sigmoids(" nop tien truoc ")[0] == model.probabilities(" nop tien truoc ")[1]
    assert artefact.load(path, "another key") is None
    with pytest.raises(RuntimeError, match=r"nlu\.fit:no_such_trainer"):
        artefact.train_in_child("nlu.fit:no_such_trainer", args, path, "abc")


def test_processes_sharing_a_models_dir_train_once(engine: EmbeddedEngine, tmp_path: Path) -> None:
    """Replicas on one volume start together: one trains, the others wait and load its file."""
    path = tmp_path / "models" / "shared.model"
    trainings: list[int] = []
    first_is_training = threading.Event()
    release = threading.Event()

    def train() -> None:
        trainings.append(1)
        first_is_training.set()
        release.wait(timeout=30)
        artefact.save(engine.model, path, "k")

    results: list[tuple[artefact.LinearNgramModel, bool]] = []
    workers = [threading.Thread(target=lambda: results.append(artefact.load_or_store(path, "k", train)))]
    workers[0].start()
    assert first_is_training.wait(timeout=30)
    workers.append(threading.Thread(target=lambda: results.append(artefact.load_or_store(path, "k", train))))
    workers[1].start()
    release.set()
    for worker in workers:
        worker.join(timeout=30)
    assert len(trainings) == 1
    assert sorted(trained for _, trained in results) == [False, True]
    assert [p.name for p in path.parent.iterdir() if p.suffix == ".tmp"] == []


def test_two_writers_with_the_same_pid_do_not_mix_their_files(engine: EmbeddedEngine, tmp_path: Path) -> None:
    """Containers on one volume can both be pid 7: saving leaves a whole file either way."""
    path = tmp_path / "same.model"
    savers = [threading.Thread(target=artefact.save, args=(engine.model, path, "k")) for _ in range(4)]
    for saver in savers:
        saver.start()
    for saver in savers:
        saver.join(timeout=30)
    assert artefact.load(path, "k") is not None
