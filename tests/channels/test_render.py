"""How replies look on each platform: splitting, escaping, buttons and numbered options."""

from __future__ import annotations

import pytest

from actions.types import Option, Reply
from bot.channels.render import (
    TELEGRAM_TEXT_LIMIT,
    ZALO_TEXT_LIMIT,
    split_text,
    telegram_html,
    telegram_messages,
    text_length,
    zalo_messages,
    zalo_text,
)
from knowledge.model import KnowledgeBase


def paragraphs(n: int, size: int) -> str:
    return "\n\n".join(f"Đoạn {i}: " + ("lao động " * (size // 9)).strip() for i in range(n))


@pytest.mark.parametrize("limit", [TELEGRAM_TEXT_LIMIT, ZALO_TEXT_LIMIT])
def test_long_text_is_split_on_paragraph_boundaries(limit: int) -> None:
    text = paragraphs(12, 700)
    chunks = split_text(text, limit)
    assert len(chunks) > 1
    assert all(text_length(c) <= limit for c in chunks)
    assert "\n\n".join(chunks) == text  # nothing lost, and no paragraph cut in two
    assert all(c.startswith("Đoạn ") for c in chunks)


def test_a_paragraph_longer_than_the_limit_breaks_at_sentences_then_words() -> None:
    sentence = "Người lao động cần hợp đồng rõ ràng. "
    text = (sentence * 80).strip()
    chunks = split_text(text, 500)
    assert all(text_length(c) <= 500 for c in chunks)
    assert all(c.endswith(".") for c in chunks)
    assert " ".join(chunks) == text
    word_soup = "x" * 1200
    assert [len(c) for c in split_text(word_soup, 500)] == [500, 500, 200]


def test_emoji_count_twice_as_the_platforms_count_them() -> None:
    assert text_length("👍") == 2 and text_length("ệ") == 1
    chunks = split_text("👍" * 3000, TELEGRAM_TEXT_LIMIT)
    assert [text_length(c) for c in chunks] == [4096, 1904]


def test_short_and_empty_texts() -> None:
    assert split_text("  xin chào  ", 10) == ["xin chào"]
    assert split_text(" \n\n ", 10) == []


def test_telegram_html_is_escaped_and_the_source_line_italic() -> None:
    text = "Lương <5 triệu & thưởng > 0\n\n📄 Theo Kế hoạch <18>"
    assert telegram_html(text, "📄 ") == "Lương &lt;5 triệu &amp; thưởng &gt; 0\n\n<i>📄 Theo Kế hoạch &lt;18&gt;</i>"


def test_telegram_buttons_go_under_the_last_message(kb: KnowledgeBase) -> None:
    reply = Reply(
        text=paragraphs(10, 800),
        options=[Option("Hỏi cán bộ", "h:1"), Option("Quá dài", "e:" + "x" * 70)],
        ask_feedback=True,
    )
    messages = telegram_messages(reply, kb)
    assert len(messages) > 1 and all(m.keyboard == () for m in messages[:-1])
    last = messages[-1]
    assert last.text.endswith(kb.text("feedback_prompt"))
    assert [[(b.label, b.data) for b in row] for row in last.keyboard] == [
        [("Hỏi cán bộ", "h:1")],  # the option whose data is over 64 bytes is left out, not sent broken
        [("👍", "f:1"), ("👎", "f:0")],
    ]


def test_zalo_options_are_numbered_with_how_to_pick_and_rate(kb: KnowledgeBase) -> None:
    reply = Reply(text="Trả lời.", options=[Option("Một", "e:a"), Option("Hai", "e:b")], ask_feedback=True)
    assert zalo_text(reply, kb) == (
        f"Trả lời.\n\n1. Một\n2. Hai\n\n{kb.text('zalo_pick_hint')}\n\n"
        f"{kb.text('feedback_prompt')} {kb.text('zalo_feedback_hint')}"
    )
    bare = Reply(text="Trả lời.", ask_feedback=True)
    assert zalo_text(bare, kb).endswith(kb.text("zalo_feedback_hint_numbers"))
    assert zalo_text(Reply(text="Chào."), kb) == "Chào."


def test_zalo_messages_fit_2000_characters_and_keep_the_options_together(kb: KnowledgeBase) -> None:
    reply = Reply(text=paragraphs(8, 600), options=[Option(f"Mục {i}", f"e:{i}") for i in range(3)])
    messages = zalo_messages(reply, kb)
    assert len(messages) > 1 and all(text_length(m) <= ZALO_TEXT_LIMIT for m in messages)
    assert "1. Mục 0\n2. Mục 1\n3. Mục 2" in messages[-1]
