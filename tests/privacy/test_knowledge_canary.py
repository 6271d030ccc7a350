"""Workers' questions linked as example questions reach the published knowledge (kb_blobs, every
version) only redacted, and a question that held personal data (masked or not) not at all."""

from __future__ import annotations

from actions.respond import Responder
from actions.types import Policy
from bot.admin.kbedit import add_examples
from bot.kbstore import ensure_published
from bot.service import BotService, IncomingMessage
from bot.store.store import Store
from knowledge.model import KnowledgeBase, load_knowledge_files
from nlu.engine import EmbeddedEngine
from tests.conftest import TEST_KEY
from tests.privacy.canaries import OUT_OF_SCOPE, PHONE, QUESTION, every_text_in, leaks

ENTRY = "vn_di_lam_viec_nuoc_ngoai_hop_phap"
CLEAN = "muon sang han lam viec hop phap thi bat dau tu dau a"


async def test_linked_questions_enter_the_knowledge_versions_redacted(
    any_store: Store, kb: KnowledgeBase, engine: EmbeddedEngine
) -> None:
    service = BotService(kb, engine, Responder(kb, Policy.load()), any_store, TEST_KEY)
    for i, text in enumerate([QUESTION, OUT_OF_SCOPE, f"{CLEAN} {PHONE}", CLEAN]):
        await service.handle(IncomingMessage(channel="web", user_ref=f"w{i}", text=text))
    stored = [r.text for r in await any_store.inquiries(limit=10)]  # as the unanswered page reads them
    added = await add_examples(any_store, ENTRY, stored, "editor")
    assert added.questions == [CLEAN]  # the ones that held a number stay out, masked or not
    _version, files = await ensure_published(any_store)
    assert load_knowledge_files(files).entries[ENTRY].examples[-1] == CLEAN
    found = leaks(await every_text_in(any_store))
    assert found == [], "\n".join(found)
    blobs = " ".join(v for where, v in await every_text_in(any_store) if where.startswith("kb_"))
    assert "[SĐT]" not in blobs and CLEAN in blobs
