"""The cue patterns' compiled code kept beside the models: the same patterns, read back or made again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from actions.brokers import regexcache
from actions.brokers.regexcache import PatternCache
from actions.brokers.rules import RULES_FILE, BrokerRules, _load_rules
from nlu.normalize import normalize


def all_patterns(rules: BrokerRules) -> list[re.Pattern[str]]:
    signs = [*rules.signs, rules.urgent, rules.urgent_plan, rules.bondage, rules.rule_question, rules.warning_context]
    signs += [rules.settled, rules.domestic, rules.hearsay, rules.abroad, rules.trouble]
    out = [p for s in signs for p in (*s.cues, *s.unless, *(p for group in s.together for p in group))]
    return [*out, rules.matching.cues]


@pytest.fixture(scope="module")
def plain() -> BrokerRules:
    return BrokerRules.load()


def test_rules_read_back_from_kept_code_are_the_rules_compiled_afresh(plain: BrokerRules, tmp_path: Path) -> None:
    """Kept, then read back by the next start-up: every pattern equals re.compile's (text, flags and
    engine code), and the signs read a message the same."""
    kept = tmp_path / "models" / "brokers.regex"
    _load_rules.__wrapped__(RULES_FILE, kept)
    assert kept.is_file()
    reading = PatternCache(kept)
    again = _load_rules.__wrapped__(RULES_FILE, kept)
    expected = all_patterns(plain)
    assert len(expected) > 150
    assert all_patterns(again) == expected
    assert PatternCache(kept).kept.keys() == reading.kept.keys() == {p.pattern for p in expected}
    folded = normalize("công ty bắt đóng 200 triệu trước, giữ hộ chiếu rồi mới ký hợp đồng").folded
    assert again.warning_signs(folded) == plain.warning_signs(folded) != ()


def test_a_start_up_with_kept_code_compiles_nothing(plain: BrokerRules, tmp_path: Path) -> None:
    kept = tmp_path / "brokers.regex"
    first = PatternCache(kept)
    patterns = [p.pattern for p in all_patterns(plain)]
    assert [first.compile(p) for p in patterns] == [re.compile(p) for p in patterns]
    first.save()
    second = PatternCache(kept)
    assert [second.compile(p) for p in patterns] == [re.compile(p) for p in patterns]
    assert first.compiled_here == len(set(patterns)) and second.compiled_here == 0


@pytest.mark.parametrize("damage", ["flipped", "truncated", "other_engine"])
def test_a_damaged_or_foreign_file_is_compiled_again_and_rewritten(
    damage: str, plain: BrokerRules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = tmp_path / "brokers.regex"
    patterns = [p.pattern for p in all_patterns(plain)][:20]
    cache = PatternCache(kept)
    for p in patterns:
        cache.compile(p)
    cache.save()
    data = kept.read_bytes()
    if damage == "flipped":
        kept.write_bytes(data[:-100] + bytes([data[-100] ^ 1]) + data[-99:])
    elif damage == "truncated":
        kept.write_bytes(data[: len(data) // 2])
    else:
        monkeypatch.setattr(regexcache, "ENGINE", "another Python")
    again = PatternCache(kept)
    assert again.kept == {}
    assert [again.compile(p) for p in patterns] == [re.compile(p) for p in patterns]
    again.save()
    assert PatternCache(kept).kept.keys() == set(patterns)


def test_without_a_writable_place_the_patterns_are_compiled_each_time(plain: BrokerRules, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    cache = PatternCache(blocked / "brokers.regex")  # its folder is a file: nothing can be kept there
    assert cache.compile("a|b") == re.compile("a|b")
    cache.save()  # logged, not raised
    assert not (blocked / "brokers.regex").exists()
