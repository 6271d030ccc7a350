"""One entry for a message (design.md §1): `BotService.handle` does campaign attribution, typed
ratings and state on the state it loads; channel adapters only translate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actions.types import Outcome, Reply, State
from bot.campaigns import create_campaign
from bot.channels.common import ChannelStats
from bot.channels.zalo import ZaloChannel, incoming_event
from bot.service import BotService, Handled, IncomingMessage
from tests.fakes.zalo import text_event


async def test_a_start_code_is_attributed_by_the_core_with_the_campaigns_province(service: BotService) -> None:
    await create_campaign(service.store, service.kb, "lc-radio", "Đài xã", "lao-cai")
    handled = await service.handle(IncomingMessage("telegram", "1", "/start lc-radio"))
    assert handled.outcome.state.province == "lao-cai"
    (record,) = await service.store.inquiries()
    assert (record.campaign, record.province) == ("lc-radio", "lao-cai")


async def test_a_province_the_user_chose_is_kept_over_the_campaigns(service: BotService) -> None:
    await create_campaign(service.store, service.kb, "lc-radio", "Đài xã", "lao-cai")
    await service.handle(IncomingMessage("web", "w1", "/tinh"))
    await service.handle(IncomingMessage("web", "w1", "Kiên Giang"))
    chose = (await service.store.inquiries())[-1].province
    handled = await service.handle(IncomingMessage("web", "w1", "lc-radio"))  # the code typed alone
    assert handled.outcome.state.province == chose == "kien-giang"
    assert (await service.store.inquiries())[-1].campaign == "lc-radio"


async def test_an_unknown_start_code_greets_and_is_counted(service: BotService) -> None:
    handled = await service.handle(IncomingMessage("telegram", "1", "/start khong-co"))
    assert handled.outcome.reply.text.startswith("Xin chào!")
    assert await service.store.unknown_campaign_codes() == {"khong-co": 1}


async def test_a_typed_zero_rates_the_answer_where_there_are_no_buttons(service: BotService) -> None:
    answer = await service.handle(IncomingMessage("zalo", "z1", "bao hiem that nghiep", buttons=False))
    assert answer.outcome.reply.ask_feedback
    rated = await service.handle(IncomingMessage("zalo", "z1", "0", buttons=False))
    assert rated.outcome.reply.text == service.kb.text("feedback_thanks")
    assert (await service.store.inquiries())[0].feedback == -1


async def test_a_typed_zero_is_a_message_where_there_are_buttons(service: BotService) -> None:
    await service.handle(IncomingMessage("web", "w1", "bao hiem that nghiep"))
    typed = await service.handle(IncomingMessage("web", "w1", "0"))
    assert typed.outcome.reply.text != service.kb.text("feedback_thanks")
    assert (await service.store.inquiries())[0].feedback is None


class NoStore:
    """A store no adapter may touch."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the adapter reached the store: store.{name}")


@dataclass
class CoreStub:
    """Stands in for BotService: records what the adapter handed the core."""

    kb: Any
    store: NoStore = field(default_factory=NoStore)
    received: list[IncomingMessage] = field(default_factory=list)

    async def handle(self, msg: IncomingMessage, render: Any = None, outbox_lease: float = 60.0) -> Handled:
        self.received.append(msg)
        outcome = Outcome(Reply(text=""), State(), "rate_limited", "chitchat", "rate_limited", 1.0)
        return Handled(outcome, 1, "u", "none", 0.0, messages=[])


async def test_the_zalo_adapter_only_translates(service: BotService) -> None:
    core = CoreStub(service.kb)
    channel = ZaloChannel(core, client=None, secret="s" * 16, stats=ChannelStats(), outbox_lease=60.0)  # type: ignore[arg-type]
    await channel.on_event(text_event("m1", "zl-1", "0"))  # a rating or option number: the core's to say
    await channel.on_event(text_event("m2", "zl-1", "kg-hoicho"))  # maybe a campaign code: the core's to say
    assert [(m.text, m.kind, m.payload, m.buttons, m.reply_to) for m in core.received] == [
        ("0", "text", None, False, "zl-1"),
        ("kg-hoicho", "text", None, False, "zl-1"),
    ]
    parsed = incoming_event(text_event("m3", "zl-2", "/start kg-hoicho"))
    assert parsed is not None and parsed[0].campaign is None  # attribution is no adapter's work
