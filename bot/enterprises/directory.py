"""The active list of licensed enterprises as the bot matches against it, kept in memory and
reloaded when a newer list becomes active."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable

from actions.brokers.directory import EnterpriseDirectory
from actions.brokers.listing import Enterprise
from actions.brokers.rules import BrokerRules, MatchingRules
from bot.store import enterprises as db
from bot.store.store import Store

log = logging.getLogger(__name__)


async def load_directory(store: Store, rules: MatchingRules) -> EnterpriseDirectory:
    """The active list as the actions match against it (empty, not loaded, when none was imported)."""
    found = await db.active_list(store)
    if found is None:
        return EnterpriseDirectory.empty(rules)
    current, rows = found
    return EnterpriseDirectory(
        [Enterprise(r.name, r.licence_no, r.licence_date, r.status, current.list_date) for r in rows],
        rules,
        list_id=int(current.id),
        list_date=current.list_date,
    )


class EnterpriseCache:
    """The active list in memory; a cheap check of the active list's id at most every `refresh_seconds`."""

    def __init__(
        self,
        store: Store,
        rules: MatchingRules | None = None,
        refresh_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.rules = rules or BrokerRules.load().matching
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._directory: EnterpriseDirectory | None = None
        self._next_check = -math.inf

    def invalidate(self) -> None:
        """Check the store on the next message (after an import in this process)."""
        self._next_check = -math.inf

    async def current(self) -> EnterpriseDirectory | None:
        """The active list (None if the store cannot say: the check is then skipped, not guessed)."""
        now = self._clock()
        if self._directory is not None and now < self._next_check:
            return self._directory
        try:
            latest = await db.active_list_id(self.store)
            if self._directory is None or latest != self._directory.list_id:
                self._directory = await load_directory(self.store, self.rules)
        except Exception as exc:  # the database is down: answer with the copy held (or without), retry later
            log.warning("could not read the enterprise list: %s", exc.__class__.__name__)
        self._next_check = now + self.refresh_seconds
        return self._directory


def directory_from(enterprises: Iterable[Enterprise], rules: MatchingRules | None = None) -> EnterpriseDirectory:
    """A directory straight from plain enterprises (tests, benchmarks)."""
    items = list(enterprises)
    return EnterpriseDirectory(items, rules or BrokerRules.load().matching, list_id=0 if items else None)
