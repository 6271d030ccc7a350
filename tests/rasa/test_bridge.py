"""The action server's half, without Rasa: tracker slots and latest message in, messages and slots out.

actions/rasa_actions.py only forwards to actions.rasa_bridge.run, so these cover what the
Rasa SDK actions do with the Responder (the integration test covers the real servers).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.rasa_bridge import Step, button_payload, run
from actions.respond import Responder
from actions.types import Policy
from knowledge.model import KnowledgeBase
from tests.fakes.rasa import parse_result

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "kg_bao_hiem_that_nghiep"


@pytest.fixture(scope="module")
def responder(kb: KnowledgeBase) -> Responder:
    return Responder(kb, Policy.load())


class Conversation:
    """A tracker's slots, carried from one action run to the next as Rasa would."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.slots: dict[str, Any] = {}

    def say(self, message: dict[str, Any]) -> Step:
        step = run(self.responder, self.slots, message)
        self.slots.update(step.slots)
        return step

    def press(self, payload: str) -> Step:
        return self.say(
            {
                "text": button_payload(payload),
                "intent": {"name": "choose", "confidence": 1.0},
                "entities": [{"entity": "option", "value": payload}],
            }
        )


def test_an_answer_carries_its_source_buttons_and_json(responder: Responder, kb: KnowledgeBase) -> None:
    chat = Conversation(responder)
    step = chat.say(parse_result("bao hiem that nghiep", "faq", ENTRY))
    text_message, json_message = step.messages
    assert kb.entries[ENTRY].answer in text_message["text"]
    assert kb.source_line(kb.entries[ENTRY]) in text_message["text"]
    payloads = [b["payload"] for b in text_message["buttons"]]
    assert payloads[-2:] == [button_payload("f:1"), button_payload("f:0")]
    assert all(p.startswith('/choose{"option": ') for p in payloads)
    custom = json_message["json_message"]
    assert (custom["kind"], custom["entry"], custom["topic"]) == ("answer", ENTRY, "employment")
    assert custom["sources"] == kb.source_dicts(kb.entries[ENTRY])
    assert chat.slots["last_inquiry"] == 1
    thanks = chat.press("f:1")
    assert thanks.messages[0]["text"] == kb.text("feedback_thanks")
    assert chat.slots["feedback"] == 1.0


def test_fallback_then_yes_hands_the_question_over(responder: Responder, kb: KnowledgeBase) -> None:
    chat = Conversation(responder)
    step = chat.say(parse_result("giá vàng hôm nay", "out_of_scope"))
    assert step.outcome.kind == "fallback"
    assert chat.slots["pending"] == {"kind": "handoff", "question": "giá vàng hôm nay"}
    step = chat.say(parse_result("có", "affirm"))
    assert step.outcome.kind == "handoff"
    assert step.messages[0]["text"] == kb.text("handoff_created")
    assert chat.slots["handoff_question"] == "giá vàng hôm nay"


def test_province_question_then_button_then_typed_number(responder: Responder) -> None:
    chat = Conversation(responder)
    step = chat.say(parse_result("mỗi năm tỉnh mình đưa bao nhiêu người đi xkld", "faq", "lc_muc_tieu_xkld"))
    assert step.outcome.kind == "ask_province"
    step = chat.press("p:lao-cai")
    assert (step.outcome.entry, chat.slots["province"]) == ("lc_muc_tieu_xkld", "lao-cai")
    first_option = chat.slots["options"][0]
    step = chat.say(parse_result("1", "out_of_scope"))  # a typed number picks the first follow-up
    assert step.outcome.entry == first_option.removeprefix("e:")


def test_the_office_change_note_is_remembered_in_a_slot(responder: Responder, kb: KnowledgeBase) -> None:
    note = kb.office_change_note(["Sở Nội vụ"])
    chat = Conversation(responder)
    step = chat.say(parse_result("bao hiem that nghiep", "faq", ENTRY))
    assert note in step.messages[0]["text"] and chat.slots["office_note_given"] is True
    step = chat.say(parse_result("bao hiem xa hoi", "faq", "kg_bao_hiem_xa_hoi"))
    assert "Sở Nội vụ" in step.messages[0]["text"] and note not in step.messages[0]["text"]


def test_domain_actions_are_the_action_servers_actions() -> None:
    tree = ast.parse((ROOT / "actions" / "rasa_actions.py").read_text(encoding="utf-8"))
    names = {
        node.value.value
        for cls in tree.body
        if isinstance(cls, ast.ClassDef)
        for fn in cls.body
        if isinstance(fn, ast.FunctionDef) and fn.name == "name"
        for node in ast.walk(fn)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant)
    }
    domain = yaml.safe_load((ROOT / "nlu" / "domain.yml").read_text(encoding="utf-8"))
    assert set(domain["actions"]) == names


def test_the_action_servers_imports_need_no_sklearn_sqlalchemy_or_bot() -> None:
    """The Rasa venv has its own scikit-learn and SQLAlchemy 1.4: the actions must not reach for ours."""
    code = (
        "import sys\n"
        "import actions.rasa_bridge, actions.respond, nlu.rasa_parse, nlu.rasa_export, knowledge.model\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sklearn', 'sqlalchemy', 'scipy', 'aiohttp', 'bot', 'pydantic'))\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == ""
