"""Follow-up resolution on one conversations file (development aid): figures and failures."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actions.respond import Responder  # noqa: E402
from actions.types import Policy  # noqa: E402
from bot.conversations import judge_conversations, load_conversations  # noqa: E402
from bot.service import BotService  # noqa: E402
from bot.store.store import Store  # noqa: E402
from knowledge.model import load_knowledge  # noqa: E402
from nlu.engine import EmbeddedEngine  # noqa: E402


async def main(path: Path) -> None:
    kb = load_knowledge()
    with tempfile.TemporaryDirectory() as tmp:
        engine = EmbeddedEngine.load_or_train(kb, Path(tmp))
        store = Store(f"sqlite:///{tmp}/dev.db")
        await store.migrate()
        service = BotService(kb, engine, Responder(kb, Policy.load()), store, b"dev")
        report = await judge_conversations(service, load_conversations(path))
        await store.close()
    print(report.metrics())
    for cid, turn, wrong in report.failures():
        print(f"  {cid} {'follow-up' if turn.followup else 'turn'} {turn.q!r}: {'; '.join(wrong)}")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
