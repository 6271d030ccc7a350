"""The core built from settings: knowledge, engine, actions, store and what they share.

`build_service` is what every entry point calls (`laodong ask`/`chat`, and the web app's
composition root, `bot.web.app.create_app`, which hands it the process's Redis link). Rules and
models are loaded here, once, and passed in; nothing below reaches for them itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from actions.brokers.rules import BrokerRules
from actions.context import ContextRules
from actions.respond import Responder
from actions.situations import SituationDetector
from actions.types import Policy
from bot.enterprises import EnterpriseCache
from bot.flood import make_limiter
from bot.journal import Journal
from bot.kbstore import ensure_published
from bot.privacy import load_or_create_key
from bot.redis_link import RedisLink
from bot.service import BotService
from bot.settings import Settings
from bot.store.opening import store_for
from knowledge.model import KnowledgeBase, load_knowledge_files
from nlu.engine import EmbeddedEngine, NluEngine
from nlu.rasa_client import FallbackEngine, RasaEngine


def models_dir(settings: Settings) -> Path:
    """Where trained models are kept (nlu/artefact.py files, one per knowledge and code version)."""
    return settings.data_dir / "models"


def engine_factory(settings: Settings) -> Callable[[KnowledgeBase], NluEngine]:
    """How to build the engine for a knowledge base: embedded, or Rasa with the embedded one behind it."""
    if settings.nlu == "rasa" and not settings.rasa_url:
        raise ValueError("LAODONG_NLU=rasa needs LAODONG_RASA_URL (e.g. http://127.0.0.1:5005)")
    rasa: RasaEngine | None = None

    def build(kb: KnowledgeBase) -> NluEngine:
        nonlocal rasa
        embedded = EmbeddedEngine.load_or_train(kb, models_dir(settings))
        if settings.nlu != "rasa" or not settings.rasa_url:
            return embedded
        rasa = rasa.with_knowledge(kb) if rasa else RasaEngine(kb, settings.rasa_url, settings.rasa_token)
        return FallbackEngine(rasa, embedded, settings.rasa_timeout)

    return build


async def build_service(settings: Settings, limit_users: bool = False, redis: RedisLink | None = None) -> BotService:
    """The core, built from settings: knowledge, engine, actions and store.

    `limit_users` turns on per-user flood control (the server; not `laodong ask`, whose stdin
    mode puts many questions as one user), shared with other processes through `redis` if given.
    """
    store = store_for(settings)
    await store.migrate()
    version, files = await ensure_published(store)  # the published knowledge (seeded from knowledge/)
    kb = load_knowledge_files(files)
    factory = engine_factory(settings)
    engine = factory(kb)

    def detectors(kb: KnowledgeBase) -> SituationDetector:
        return SituationDetector.load_or_train(kb, models_dir(settings))

    key = load_or_create_key(settings.hash_key, settings.data_dir)
    brokers = BrokerRules.load()  # loaded here, once, and handed to what uses them
    service = BotService(
        kb,
        engine,
        Responder(kb, Policy.load(), brokers=brokers, detector=detectors(kb), context=ContextRules.load()),
        store,
        key,
        Journal(settings.data_dir / "journal"),
        engine_factory=factory,
        detector_factory=detectors,
        enterprises=EnterpriseCache(store, brokers.matching, refresh_seconds=settings.enterprise_refresh_seconds),
        limiter=make_limiter(settings, redis) if limit_users else None,
    )
    service.knowledge_version = version.id
    await service.flush_journal()  # records a previous process could not write
    return service
