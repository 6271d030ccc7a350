"""Write the brief for an outside writer of a held-out round (tests/data/freshN).

    .venv/bin/python scripts/heldout_brief.py N      # writes /work/heldoutN-brief/{entries.md,formats.md}

entries.md lists every entry's id, topic, scope, title and answer (what the writer may know of the
bot); formats.md (tests/data/writers/formats.md) says what to write and where. The writer must not
read the repository; tag the model before reading the set, then copy it into tests/data/freshN with
a README saying which tag it measures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.model import load_knowledge  # noqa: E402


def entries_text() -> str:
    kb = load_knowledge()
    parts = ["# The bot's knowledge entries (id, topic, province scope, title, answer)\n"]
    for entry in kb.entries.values():
        parts.append(
            f"## {entry.id}\n- topic: {entry.topic}\n- scope: {entry.scope}\n- title: {entry.title}\n\n"
            f"{entry.answer.strip()}\n"
        )
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("round", type=int, help="the round's number N (the set becomes tests/data/freshN)")
    parser.add_argument("--into", type=Path, default=None, help="folder for the brief (default /work/heldoutN-brief)")
    args = parser.parse_args()
    into = args.into or Path(f"/work/heldout{args.round}-brief")
    into.mkdir(parents=True, exist_ok=True)
    (into / "entries.md").write_text(entries_text(), encoding="utf-8")
    template = (ROOT / "tests" / "data" / "writers" / "formats.md").read_text(encoding="utf-8")
    (into / "formats.md").write_text(
        template.replace("heldoutN", f"heldout{args.round}").replace("round N", f"round {args.round}"), encoding="utf-8"
    )
    print(f"brief for round {args.round} in {into}; the writer writes to /work/heldout{args.round}/")


if __name__ == "__main__":
    main()
