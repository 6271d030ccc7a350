"""`laodong nlu export DIR`: the Rasa project generated from nlu/ and knowledge/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from knowledge.model import KnowledgeBase
from nlu.rasa_export import export_project, model_fingerprint, project_files
from nlu.training import INTENT_TOPICS, load_rasa_nlu, parse_rasa_examples, training_examples

ROOT = Path(__file__).resolve().parents[2]


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, kb: KnowledgeBase) -> Path:
    out = tmp_path_factory.mktemp("rasa-project")
    export_project(kb, out)
    return out


def test_cli_writes_the_project_and_rewrites_nothing_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["nlu", "export", str(tmp_path)]) == 0
    assert "faq entries" in capsys.readouterr().out
    names = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.yml")}
    assert {"config.yml", "domain.yml", "endpoints.yml", "credentials.yml", "data/faq.yml", "data/nlu.yml"} <= names
    assert {"data/rules.yml", "data/stories.yml"} <= names
    assert main(["nlu", "export", str(tmp_path)]) == 0
    assert "0 files changed" in capsys.readouterr().out


def test_every_entry_is_a_retrieval_intent_with_its_examples(project: Path, kb: KnowledgeBase) -> None:
    faq = load(project / "data" / "faq.yml")
    exported = {item["intent"]: parse_rasa_examples(item["examples"]) for item in faq["nlu"]}
    assert set(exported) == {f"faq/{entry_id}" for entry_id in kb.entries}
    # Exactly what the embedded engine trains on (case-insensitive repeats dropped).
    for example in training_examples(kb):
        if example.label.startswith("faq/"):
            assert " ".join(example.text.split()) in exported[example.label]


def test_every_entry_has_its_answer_and_source_as_a_response(project: Path, kb: KnowledgeBase) -> None:
    domain = load(project / "domain.yml")
    for entry in kb.entries.values():
        [response] = domain["responses"][f"utter_faq/{entry.id}"]
        assert response["text"] == f"{entry.answer}\n\n{kb.source_line(entry)}"


def test_domain_names_every_intent_rules_cover_every_intent(project: Path) -> None:
    domain = load(project / "domain.yml")
    intents = set(domain["intents"])
    data_intents = {ex.label for ex in load_rasa_nlu(ROOT / "nlu" / "data")}
    assert data_intents <= intents
    assert {"faq", "choose"} <= intents
    assert set(INTENT_TOPICS) >= data_intents
    covered: set[str] = set()
    for path in (project / "data").glob("*.yml"):
        for rule in load(path).get("rules") or []:
            for step in rule["steps"]:
                covered |= {step["intent"]} if "intent" in step else {s["intent"] for s in step.get("or", [])}
                assert step.get("action", domain["actions"][0]) in domain["actions"]
    assert intents <= covered
    for slot in domain["slots"].values():
        assert slot["mappings"] == [{"type": "custom"}]
        assert slot["influence_conversation"] is False


def test_config_runs_the_projects_normaliser_first(project: Path) -> None:
    config = load(project / "config.yml")
    names = [c["name"] for c in config["pipeline"]]
    assert names[0] == "nlu.rasa_components.VietnameseTokenizer"
    assert (ROOT / "nlu" / "rasa_components.py").exists()
    assert {"DIETClassifier", "ResponseSelector"} <= set(names)
    selector = next(c for c in config["pipeline"] if c["name"] == "ResponseSelector")
    assert selector["retrieval_intent"] == "faq"
    assert all(c.get("epochs", 0) <= 100 for c in config["pipeline"])  # keep CI training short


def test_a_new_intent_without_a_rule_gets_one_from_its_topic(tmp_path: Path, kb: KnowledgeBase) -> None:
    source = tmp_path / "nlu"
    (source / "data").mkdir(parents=True)
    for name in ("config.yml", "domain.yml", "endpoints.yml", "credentials.yml"):
        (source / name).write_text((ROOT / "nlu" / name).read_text(encoding="utf-8"), encoding="utf-8")
    (source / "data" / "nlu.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: thanks\n  examples: |\n    - cam on\n', encoding="utf-8"
    )
    files = project_files(kb, source)
    rules = yaml.safe_load(files["data/rules_generated.yml"])["rules"]
    assert rules == [
        {"rule": "thanks (generated from its topic)", "steps": [{"intent": "thanks"}, {"action": "action_chitchat"}]}
    ]


def test_stale_data_files_go_and_the_fingerprint_follows_the_data(tmp_path: Path, kb: KnowledgeBase) -> None:
    export_project(kb, tmp_path)
    (tmp_path / "data" / "old.yml").write_text("version: '3.1'\n", encoding="utf-8")
    changed = export_project(kb, tmp_path)
    assert changed == [tmp_path / "data" / "old.yml"] and not changed[0].exists()
    files = project_files(kb)
    assert model_fingerprint(files) == model_fingerprint(dict(files))
    assert model_fingerprint({**files, "endpoints.yml": "changed"}) == model_fingerprint(files)
    assert model_fingerprint({**files, "data/faq.yml": files["data/faq.yml"] + "\n"}) != model_fingerprint(files)


def test_cli_help_lists_the_export(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["nlu", "--help"])
    assert "export" in capsys.readouterr().out
