"""knowledge/edit.py removes one entry's block from its file and leaves the rest byte for byte."""

from __future__ import annotations

import pytest
import yaml

from knowledge.edit import EntryEditError, remove_entry
from knowledge.model import KNOWLEDGE_DIR

FILE = KNOWLEDGE_DIR / "entries" / "kien-giang" / "social_assistance.yaml"


def test_removing_an_entry_leaves_the_others_as_they_were() -> None:
    source = FILE.read_text(encoding="utf-8")
    gone = "kg_nghe_cong_tac_xa_hoi_de_an"
    after = remove_entry(source, gone)
    before_entries = yaml.safe_load(source)["entries"]
    assert yaml.safe_load(after)["entries"] == [e for e in before_entries if e["id"] != gone]
    # One contiguous block went: the rest is the file's own text, comments and layout included.
    start = source.rfind("\n", 0, source.index(f"- id: {gone}")) + 1
    assert after[:start] == source[:start] and source.endswith(after[start:])
    assert after[start:].lstrip().startswith("- id: ")  # the next entry follows where it was


def test_an_entry_that_is_not_there_is_refused() -> None:
    with pytest.raises(EntryEditError):
        remove_entry(FILE.read_text(encoding="utf-8"), "khong_co_muc_nay")
