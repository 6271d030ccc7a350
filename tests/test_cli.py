"""The `laodong` command and its JSON contract (design.md §2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.model import TOPICS
from tests.cli import Done, link_models, run

CONTRACT_KEYS = {
    *("topic", "intent", "entry", "confidence", "answer", "sources", "options"),
    *("warning", "enterprise", "urgent"),
    "province",  # the province the reply is about: its entry's, else the worker's (null when unknown)
}


@pytest.fixture(autouse=True)
def models(trained_models: Path, tmp_path: Path) -> None:
    link_models(trained_models, tmp_path / "var")


def laodong(tmp_path: Path, *args: str, stdin: str | None = None) -> Done:
    """`laodong ARGS` in this process, on a database and data dir of the test's own."""
    env = {"LAODONG_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "LAODONG_DATA_DIR": str(tmp_path / "var")}
    return run(env, *args, stdin=stdin or "")


def test_ask_answers_in_vietnamese_with_its_source(tmp_path: Path) -> None:
    done = laodong(tmp_path, "ask", "di xkld nhat can gi")
    assert done.returncode == 0, done.stderr
    assert "hợp đồng" in done.stdout
    assert "📄 Theo" in done.stdout


def test_ask_json_answers_each_stdin_line_in_one_process(tmp_path: Path) -> None:
    questions = ["di xkld nhat can gi", "gia vang hom nay", "bảo hiểm thất nghiệp", "xin chao"]
    done = laodong(tmp_path, "ask", "--json", stdin="\n".join(questions) + "\n")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len(questions)
    for obj in lines:
        assert set(obj) == CONTRACT_KEYS
        assert obj["topic"] in TOPICS
        assert 0.0 <= obj["confidence"] <= 1.0
        assert isinstance(obj["options"], list) and all(isinstance(o, str) for o in obj["options"])
        for src in obj["sources"]:
            assert set(src) == {"document", "issuer", "date", "section"}
        assert obj["warning"] is False and obj["enterprise"] is None and obj["urgent"] is False
    answer, oos, employment, hello = lines
    assert answer["topic"] == "work_abroad" and answer["entry"] and answer["sources"]
    assert oos["topic"] == "out_of_scope" and oos["entry"] is None and oos["sources"] == []
    assert employment["entry"] == "kg_bao_hiem_that_nghiep"
    assert hello["topic"] == "chitchat"


def test_ask_json_stdin_lines_are_different_workers_unless_one_conversation(tmp_path: Path) -> None:
    lines = [
        "em ở mường khương, hỏi về xkld",
        "mỗi năm tỉnh mình đưa bao nhiêu người đi làm nước ngoài",
        "còn Kiên Giang thì sao",
    ]
    apart = [json.loads(x) for x in laodong(tmp_path, "ask", "--json", stdin="\n".join(lines)).stdout.splitlines()]
    assert apart[0]["province"] == "lao-cai"
    assert apart[1]["entry"] is None and apart[1]["province"] is None  # the province is asked, not carried over
    assert apart[2]["entry"] != "kg_muc_tieu_xkld"  # "còn … thì sao" of nothing
    together = laodong(tmp_path, "ask", "--json", "--conversation", stdin="\n".join(lines))
    first, second, third = (json.loads(x) for x in together.stdout.splitlines())
    assert first["province"] == "lao-cai"
    assert (second["entry"], second["province"]) == ("lc_muc_tieu_xkld", "lao-cai")
    assert (third["entry"], third["province"]) == ("kg_muc_tieu_xkld", "kien-giang")
    assert "1.000" in third["answer"]


def test_ask_with_a_province_answers_that_provinces_plan(tmp_path: Path) -> None:
    done = laodong(tmp_path, "ask", "--json", "--province", "lao-cai", "mỗi năm tỉnh đưa bao nhiêu người đi xkld")
    obj = json.loads(done.stdout)
    assert obj["entry"] == "lc_muc_tieu_xkld"
    assert "200" in obj["answer"]
    assert obj["sources"][0]["issuer"] == "UBND tỉnh Lào Cai"


def test_unknown_province_is_refused_clearly(tmp_path: Path) -> None:
    done = laodong(tmp_path, "ask", "--province", "ha-noi", "xkld")
    assert done.returncode != 0
    assert "unknown province" in done.stderr


def test_chat_is_a_terminal_conversation(tmp_path: Path) -> None:
    done = laodong(tmp_path, "chat", stdin="bao hiem that nghiep\n1\n")
    assert done.returncode == 0, done.stderr
    assert "Xin chào" in done.stdout
    assert done.stdout.count("Bot:") == 2
    assert "  1. " in done.stdout


def test_chat_follows_up_on_the_previous_answer(tmp_path: Path) -> None:
    done = laodong(tmp_path, "chat", stdin="kien giang moi nam dua bao nhieu nguoi di xkld\ncon lao cai thi sao\n")
    first, second = done.stdout.split("Bot: ")[1:]
    assert "1.000" in first and "Kiên Giang" in first
    assert "200" in second and "Lào Cai" in second


@pytest.mark.parametrize("as_json", [True, False])
def test_kb_list_and_check(tmp_path: Path, as_json: bool) -> None:
    done = laodong(tmp_path, "kb", "list", *(["--json"] if as_json else []))
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert len(lines) >= 60
    if as_json:
        entry = json.loads(lines[0])
        assert set(entry) == {"id", "topic", "province", "title", "sources"}
    check = laodong(tmp_path, "kb", "check")
    assert check.returncode == 0
    assert "0 problems" in check.stdout
