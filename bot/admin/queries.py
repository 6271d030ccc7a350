"""What the dashboard reads from (and writes to) the store, one read model per feature: the log
(logreads.py), its counts (logcounts.py), the unanswered queue (review.py), the handoff inbox
(handoffs/reads.py); campaigns' funnels live with the campaigns (campaigns/funnels.py)."""

from __future__ import annotations

from bot.admin.campaigns.funnels import campaign_list
from bot.admin.handoffs.reads import InboxReads
from bot.admin.logcounts import LogCounts
from bot.admin.logreads import LogReads
from bot.admin.review import ReviewReads
from bot.store.models import Campaign


class Dashboard(LogReads, LogCounts, ReviewReads, InboxReads):
    """Read models of the inquiry log for the dashboard and the reports."""

    async def campaigns(self) -> list[Campaign]:
        return await campaign_list(self.store)
