"""The actions: answer with sources, clarify, fall back, hand off, feedback, province.

One pure function, `respond`, decides what the bot says to one message given what the
engine understood and what the bot remembers. Both hosts call it: the bot in-process
(embedded engine, or Rasa NLU over HTTP) and the Rasa action server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from actions.brokers import BrokerDesk, BrokerRules, EnterpriseDirectory
from actions.context import ContextRules, Reading
from actions.followups import FollowUpDesk
from actions.places import words
from actions.situations import SituationDetector
from actions.subscriptions import SUBSCRIBE_PAYLOAD, SubscriptionDesk
from actions.types import Option, Outcome, Policy, Reply, State
from knowledge.model import ENTRY_TOPICS, FORMER_OFFICES, REORGANISATION_DOC, Entry, KnowledgeBase
from nlu.normalize import Normalized
from nlu.training import UNANSWERABLE_PREFIX
from nlu.types import Candidate, Understanding

NON_TEXT_KINDS = ("sticker", "image", "voice", "video", "file", "location", "other")
_FEEDBACK_UP = ("👍", "+1")
_FEEDBACK_DOWN = ("👎", "-1")
_COMMANDS = {
    "start": "start",
    "help": "menu",
    "menu": "menu",
    "tinh": "province",
    "nguoi": "human",
    "canbo": "human",
    "xoa": "delete",
    "dangky": "subscribe",
    "huy": "unsubscribe",
    "ma": "ticket",
}
_KEYWORDS = {"menu": "menu", "tinh": "province", "nguoi": "human", "xoa": "delete", "huong dan": "menu"}
_KEYWORDS |= {k: "subscribe" for k in ("dangky", "dang ky", "dang ky nhan thong bao", "nhan thong bao")}
_KEYWORDS |= {k: "unsubscribe" for k in ("huy", "huy dang ky", "ngung nhan thong bao", "dung nhan thong bao")}
# "ma K7M2QX" / "mã: k7m-2qx" typed without the slash (the folded view has spaces for the
# punctuation): a ticket code holds a digit (bot/tickets.py).
_TICKET = re.compile(r"ma ?([a-z0-9]{3}) ?([a-z0-9]{3})")
_YES = {"co", "u", "ok", "dong y", "duoc", "vang", "chac chan", "yes", "1"}
_NO = {"khong", "thoi", "no", "huy", "0", "khong can"}
_REMEMBERED = ("answer", "warning", "ask_province", "topic_menu", "fallback", "clarify")


@dataclass(frozen=True, slots=True)
class Turn:
    """One incoming message as the actions see it."""

    kind: str  # text, button, or one of NON_TEXT_KINDS
    text: str
    norm: Normalized
    payload: str | None = None


def command_of(turn: Turn) -> tuple[str, str] | None:
    """(command, argument) for `/cmd arg` or a bare keyword (Zalo and web have no commands)."""
    raw = turn.text.strip()
    if raw.startswith("/"):
        name, _, arg = raw[1:].partition(" ")
        name = name.split("@", 1)[0].lower()
        if name in _COMMANDS:
            return _COMMANDS[name], arg.strip()
        return None
    ticket = _TICKET.fullmatch(turn.norm.folded.strip())
    if ticket and any(c.isdigit() for c in ticket.group(1) + ticket.group(2)):
        return "ticket", ticket.group(1) + ticket.group(2)
    keyword = _KEYWORDS.get(turn.norm.folded.strip())
    return (keyword, "") if keyword else None


class Responder:
    """The dialogue actions over one knowledge base and policy."""

    def __init__(
        self,
        kb: KnowledgeBase,
        policy: Policy,
        brokers: BrokerRules | None = None,
        detector: SituationDetector | None = None,
        context: ContextRules | None = None,
    ) -> None:
        self.kb = kb
        self.policy = policy
        # Warning signs, trouble abroad, licensed enterprises; the detector is trained once per process.
        detector = detector or SituationDetector.for_kb(kb)
        self.brokers = BrokerDesk(self, brokers or BrokerRules.load(), detector)
        self.context = context or ContextRules.load()  # places, follow-up cues, bare topics (actions/context.yaml)
        self.followups = FollowUpDesk(self, self.context, self.brokers)
        self.subscriptions = SubscriptionDesk(self)  # /dangky, /huy (actions/subscriptions.py)

    # --- building blocks -------------------------------------------------------------

    def menu_options(self) -> list[Option]:
        topics = self.kb.responses["topics"]
        return [Option(label=str(topics[t]), payload=f"t:{t}") for t in ENTRY_TOPICS]

    def province_options(self) -> list[Option]:
        return [Option(label=p.name, payload=f"p:{p.id}") for p in self.kb.provinces.values()]

    def _outcome(self, state: State, reply: Reply, kind: str, topic: str, intent: str, **kw: object) -> Outcome:
        state.options = [o.payload for o in reply.options]
        answered = self.kb.entries.get(str(kw.get("entry") or ""))
        entry = answered
        if entry is None and kind == "ask_province" and intent.startswith("faq/"):
            entry = self.kb.entries.get(intent[len("faq/") :])
        if (kind in _REMEMBERED or answered is not None) and topic in ENTRY_TOPICS:  # what a follow-up leans on
            last = state.last or {}
            if entry is None and last.get("topic") == topic and last.get("entry"):  # still on that subject
                state.last = dict(last)
            else:
                state.last = {"topic": topic, "entry": entry.id if entry else None, "kind": kind}
        scope = answered.scope if answered is not None and answered.scope != "national" else None
        kw.setdefault("province", scope or state.province)
        return Outcome(reply=reply, state=state, kind=kind, topic=topic, intent=intent, **kw)  # type: ignore[arg-type]

    def variant_for(self, entry: Entry, province: str | None) -> Entry:
        """The entry of the same group for the worker's province, if there is one."""
        if not province or entry.scope in ("national", province) or province not in self.kb.provinces:
            return entry
        return self.context.counterpart(entry, province, self.kb) or entry

    def needs_province(self, entry: Entry, state: State) -> bool:
        if not entry.group or state.province:
            return False
        return len({e.scope for e in self.kb.by_group(entry.group) if e.scope != "national"}) > 1

    # --- actions ---------------------------------------------------------------------

    def office_note(self, state: State, entry: Entry) -> str:
        """The 2025 office change, the first time in a conversation an answer names a current office."""
        named = self.kb.offices_named(entry.answer)
        if state.office_note_given or not named or REORGANISATION_DOC not in {ref.doc for ref in entry.sources}:
            return ""
        state.office_note_given = True
        if FORMER_OFFICES.search(entry.answer):  # an entry about the reorganisation tells it itself
            return ""
        return self.kb.office_change_note(named)

    def answer(self, state: State, entry: Entry, confidence: float, question: str = "", note: str = "") -> Outcome:
        """Answer from one entry: its first screen first, then the details, notes, source line, follow-ups."""
        entry = self.variant_for(entry, state.province)
        # "có" right after an answer asks for an official about the same question.
        state.pending = {"kind": "handoff", "question": question} if question else None
        options = [
            Option(label=self.kb.entries[r].title, payload=f"e:{r}") for r in entry.related if r in self.kb.entries
        ][: self.policy.max_options]
        details = entry.answer[len(entry.first_screen) :].strip()
        parts = [entry.first_screen, note, details, self.office_note(state, entry), self.kb.source_line(entry)]
        reply = Reply(
            text="\n\n".join(p for p in parts if p),
            options=options,
            sources=self.kb.source_dicts(entry),
            ask_feedback=True,
            offer_subscribe=not state.subscribed,
        )
        return self._outcome(
            state,
            reply,
            "answer",
            entry.topic,
            f"faq/{entry.id}",
            entry=entry.id,
            confidence=confidence,
            answered=True,
        )

    def answer_or_ask_province(self, state: State, entry: Entry, confidence: float, question: str) -> Outcome:
        if self.needs_province(entry, state) and not self.followups.plan_named(entry, question):
            state.pending = {"kind": "province", "entry": entry.id, "confidence": confidence, "question": question}
            reply = Reply(text=self.kb.text("ask_province"), options=self.province_options())
            return self._outcome(
                state, reply, "ask_province", entry.topic, f"faq/{entry.id}", confidence=confidence, answered=False
            )
        note = ""
        if entry.group and state.province == "other":
            chosen = self.variant_for(entry, None)
            name = self.kb.provinces[chosen.scope].name if chosen.scope in self.kb.provinces else chosen.scope
            note = self.kb.text("other_province_note").format(province=name)
        elif state.province in self.kb.provinces and state.province != "other":
            chosen = self.variant_for(entry, state.province)
            if chosen.scope in self.kb.provinces and chosen.scope != state.province:  # the other plan's answer
                own, plan = self.kb.provinces[state.province].name, self.kb.provinces[chosen.scope].name
                note = self.kb.text("other_plan_note").format(province=own, plan=plan)
        return self.answer(state, entry, confidence, question, note)

    def menu(self, state: State, text_key: str = "menu", intent: str = "menu") -> Outcome:
        state.pending = None
        parts = [self.kb.text(text_key)] if text_key != "menu" else []
        if intent == "greet" and not state.greeted:
            state.greeted = True
            parts.append(self.kb.text("privacy_notice"))
        parts.append(self.kb.text("menu"))
        options = self.menu_options()
        if intent == "greet":  # a first contact (/start, a campaign's link): announcements offered too
            options.append(Option(label=self.kb.text("subscribe_option"), payload=SUBSCRIBE_PAYLOAD))
        reply = Reply(text="\n\n".join(parts), options=options)
        return self._outcome(state, reply, "menu", "chitchat", intent, confidence=1.0, answered=True)

    def introduce(self, state: State, intent: str) -> Outcome:
        """Say who answers (an automatic assistant) and offer an official, without handing off unasked."""
        parts = [self.kb.text("who_am_i" if intent == "bot_identity" else "anyone_there")]
        if not state.greeted:
            state.greeted = True
            parts.append(self.kb.text("privacy_notice"))
        state.pending = {"kind": "handoff", "question": None}
        options = [Option(label=self.kb.text("human_option"), payload="h:1"), *self.menu_options()]
        reply = Reply(text="\n\n".join(parts), options=options)
        return self._outcome(state, reply, "chitchat", "chitchat", intent, confidence=1.0, answered=True)

    def topic_options(self, state: State, topic: str, leave_out: str = "") -> list[Option]:
        """The entries of a topic as buttons, the worker's province and the national ones first."""
        entries = [e for e in self.kb.by_topic(topic) if e.id != leave_out]
        preferred = {"national", state.province or ""}
        entries.sort(key=lambda e: (e.scope not in preferred, e.scope, e.title))
        seen_groups: set[str] = set()
        options = []
        for e in entries:
            if e.group and e.group in seen_groups:
                continue
            if e.group:
                seen_groups.add(e.group)
            options.append(Option(label=e.title, payload=f"e:{e.id}"))
        return options[: self.policy.topic_menu_size]

    def topic_menu(
        self,
        state: State,
        topic: str,
        lead: str = "",
        confidence: float = 1.0,
        answered: bool = True,
        question: str | None = None,
    ) -> Outcome:
        """List what the bot knows on a topic (the worker's province first)."""
        options = self.topic_options(state, topic)
        label = str(self.kb.responses["topics"][topic])
        text = self.kb.text("topic_intro").format(topic=label)
        if lead:
            text = f"{lead}\n\n{text}"
        kind = "topic_menu"
        if question is not None:
            options.append(Option(label=self.kb.text("human_option"), payload="h:1"))
            state.pending = {"kind": "handoff", "question": question}
            kind = "fallback"
        else:
            state.pending = None
        reply = Reply(text=text, options=options)
        return self._outcome(state, reply, kind, topic, f"topic/{topic}", confidence=confidence, answered=answered)

    def fallback(self, state: State, question: str, topic: str, intent: str, confidence: float) -> Outcome:
        """Say plainly that the plans do not say; offer an official."""
        state.pending = {"kind": "handoff", "question": question}
        reply = Reply(
            text=self.kb.text("fallback"),
            options=[
                Option(label=self.kb.text("handoff_yes"), payload="h:1"),
                Option(label=self.kb.text("handoff_no"), payload="h:0"),
                Option(label=self.kb.text("menu_option"), payload="m"),
            ],
        )
        return self._outcome(state, reply, "fallback", topic, intent, confidence=confidence, answered=False)

    def handoff(self, state: State, question: str | None, intent: str = "human", urgent: bool = False) -> Outcome:
        """Record a request for an official (with the question, when there is one); `urgent`: a
        worker abroad in trouble, first in the officials' inbox."""
        urgent = urgent or bool((state.pending or {}).get("urgent"))
        state.pending = None
        if not question:
            state.pending = {"kind": "handoff_question"}
            reply = Reply(text=self.kb.text("handoff_nothing_to_send"))
            return self._outcome(state, reply, "handoff", "human", intent, confidence=1.0, answered=True)
        reply = Reply(text=self.kb.text("handoff_created_urgent" if urgent else "handoff_created"))
        return self._outcome(
            state,
            reply,
            "handoff",
            "human",
            intent,
            confidence=1.0,
            answered=True,
            handoff_question=question,
            urgent=urgent,
        )

    def clarify(self, state: State, candidates: list[Entry], topic: str, confidence: float) -> Outcome:
        """Ask which entry was meant (each as the worker's province has it, once)."""
        candidates = list({e.id: e for e in (self.variant_for(c, state.province) for c in candidates)}.values())
        if len(candidates) == 1:
            return self.answer_or_ask_province(state, candidates[0], confidence, "")
        state.pending = {"kind": "clarify", "entries": [e.id for e in candidates]}
        reply = Reply(
            text=self.kb.text("clarify"),
            options=[Option(label=e.title, payload=f"e:{e.id}") for e in candidates],
        )
        return self._outcome(state, reply, "clarify", topic, "clarify", confidence=confidence, answered=False)

    def feedback(self, state: State, value: int) -> Outcome:
        if state.last_inquiry is None:
            reply = Reply(text=self.kb.text("feedback_nothing"))
            return self._outcome(state, reply, "feedback", "chitchat", "feedback", confidence=1.0)
        reply = Reply(text=self.kb.text("feedback_thanks"))
        return self._outcome(
            state, reply, "feedback", "chitchat", "feedback", confidence=1.0, answered=True, feedback=value
        )

    def set_province(self, state: State, province: str) -> Outcome:
        pending = state.pending or {}
        if pending.get("kind") == "subscribe":
            return self.subscriptions.done(state, province)
        state.province = province
        if pending.get("kind") == "province" and pending.get("entry") in self.kb.entries:
            entry = self.kb.entries[pending["entry"]]
            question = str(pending.get("question") or "")
            return self.answer_or_ask_province(state, entry, float(pending.get("confidence", 1.0)), question)
        name = self.kb.provinces[province].name if province in self.kb.provinces else province
        reply = Reply(
            text=f"{self.kb.text('province_set').format(province=name)}\n\n{self.kb.text('menu')}",
            options=self.menu_options(),
        )
        state.pending = None
        return self._outcome(state, reply, "province", "chitchat", "province", confidence=1.0, answered=True)

    def ask_province(self, state: State) -> Outcome:
        state.pending = {"kind": "province"}
        reply = Reply(text=self.kb.text("ask_province"), options=self.province_options())
        return self._outcome(state, reply, "ask_province", "chitchat", "province", confidence=1.0, answered=True)

    def confirm_delete(self, state: State) -> Outcome:
        state.pending = {"kind": "delete"}
        reply = Reply(
            text=self.kb.text("delete_confirm"),
            options=[Option(label="Có", payload="d:1"), Option(label="Không", payload="d:0")],
        )
        return self._outcome(state, reply, "delete_confirm", "chitchat", "delete", confidence=1.0, answered=True)

    def ticket(self, state: State, code: str) -> Outcome:
        """`/ma [CODE]`: the bot fills in the request's status from the store (bot/tickets.py);
        the text here is what a host without the store says."""
        reply = Reply(text=self.kb.text("ticket_unavailable"))
        return self._outcome(state, reply, "ticket", "chitchat", "ticket", confidence=1.0, answered=True, ticket=code)

    def delete(self, state: State, confirmed: bool) -> Outcome:
        if not confirmed:
            state.pending = None
            reply = Reply(text=self.kb.text("delete_cancelled"))
            return self._outcome(state, reply, "delete", "chitchat", "delete", confidence=1.0, answered=True)
        reply = Reply(text=self.kb.text("delete_done"))
        return self._outcome(
            State(), reply, "delete", "chitchat", "delete", confidence=1.0, answered=True, delete_user=True
        )

    # --- the decision ----------------------------------------------------------------

    def on_payload(self, state: State, payload: str, question: str) -> Outcome:
        """A button press (or its number typed on a text-only channel)."""
        kind, _, value = payload.partition(":")
        if kind == "e" and value in self.kb.entries:
            # An entry the worker picked is answered as picked (the province's variant if known).
            return self.answer(state, self.kb.entries[value], 1.0, question)
        if kind == "t" and value in ENTRY_TOPICS:
            return self.topic_menu(state, value)
        if kind == "p" and value in self.kb.provinces:
            return self.set_province(state, value)
        if kind == "h":
            pending = state.pending or {}
            if value == "1":
                return self.handoff(state, pending.get("question") or None)
            state.pending = None
            reply = Reply(text=self.kb.text("handoff_declined"), options=self.menu_options())
            return self._outcome(state, reply, "handoff_declined", "chitchat", "deny", confidence=1.0, answered=True)
        if kind == "f" and value in ("1", "0"):
            return self.feedback(state, 1 if value == "1" else -1)
        if kind == "d":
            return self.delete(state, value == "1")
        if kind == "n":
            return self.brokers.pick(state, value, question)
        if payload == SUBSCRIBE_PAYLOAD:
            return self.subscriptions.subscribe(state)
        return self.menu(state)

    def respond(
        self,
        state: State,
        turn: Turn,
        understanding: Understanding | None,
        enterprises: EnterpriseDirectory | None = None,
    ) -> Outcome:
        """Decide the reply to one message (`enterprises`: the licensed list; None skips the lookup)."""
        state = replace(state, options=list(state.options))
        if turn.kind in NON_TEXT_KINDS:
            reply = Reply(text=self.kb.text("non_text"))
            return self._outcome(state, reply, "non_text", "chitchat", f"non_text/{turn.kind}", confidence=1.0)
        if turn.kind == "button" and turn.payload:
            return self.on_payload(state, turn.payload, turn.text)
        raw = turn.text.strip()
        if raw in _FEEDBACK_UP or raw in _FEEDBACK_DOWN:
            return self.feedback(state, 1 if raw in _FEEDBACK_UP else -1)
        if turn.norm.is_blank:
            reply = Reply(text=self.kb.text("empty"), options=self.menu_options())
            return self._outcome(state, reply, "empty", "out_of_scope", "empty", confidence=1.0)
        if len(raw) > self.policy.max_chars:
            reply = Reply(text=self.kb.text("too_long"))
            return self._outcome(state, reply, "too_long", "out_of_scope", "too_long", confidence=1.0)
        folded = turn.norm.folded.strip()
        if folded.isdigit() and state.options:
            index = int(folded) - 1
            if 0 <= index < len(state.options):
                return self.on_payload(state, state.options[index], raw)
        pending = state.pending or {}
        if pending.get("kind") == "delete":
            return self.delete(state, folded in _YES)
        command = command_of(turn)
        if command:
            name, arg = command
            if name == "start":
                return self.menu(state, "greeting", "greet")
            if name == "menu":
                return self.menu(state)
            if name == "province":
                province = self.context.gazetteer.province(words(arg)) if arg else None
                return self.set_province(state, province) if province else self.ask_province(state)
            if name == "human":
                return self.handoff(state, arg or pending.get("question"))
            if name == "delete":
                return self.confirm_delete(state)
            if name == "subscribe":
                return self.subscriptions.subscribe(state, arg)
            if name == "unsubscribe":
                return self.subscriptions.unsubscribe(state)
            if name == "ticket":
                return self.ticket(state, arg)
        if pending.get("kind") == "handoff_question":
            return self.handoff(state, raw, intent="handoff_question")
        reading = self.context.read(raw)
        province = reading.province
        if (
            pending.get("kind") in ("province", "subscribe")
            and province
            and (reading.place_only or not self.followups.sure(understanding))
        ):
            return self.set_province(state, province)  # the answer to the province question
        if province and (province != "other" or state.province is None or reading.place_only):
            state.province = province  # a place named anywhere; another province does not undo a plan's
        checked = self.brokers.check(state, raw, turn.norm, understanding, enterprises)
        if checked is not None:
            return checked
        if understanding is None:
            return self.fallback(state, raw, "out_of_scope", "out_of_scope", 0.0)
        return self.decide(state, raw, understanding, reading)

    # --- conversation context ----------------------------------------------------------

    def own_province_first(self, state: State, candidates: list[Candidate]) -> list[Candidate]:
        """A close candidate from the worker's own plan goes before a national entry, and a close
        national or own-plan one before another plan province's entry the worker's has no match for."""
        if state.province not in self.kb.provinces or state.province == "other":
            return candidates
        first = self.kb.entries[str(candidates[0].entry)]
        scope = self.variant_for(first, state.province).scope
        if scope == state.province:
            return candidates
        wanted = (state.province,) if scope == "national" else ("national", state.province)
        for c in candidates[1:]:
            entry = self.kb.entries[str(c.entry)]
            if c.score >= self.policy.clarify_ratio * candidates[0].score and entry.scope in wanted:
                return [c, *(o for o in candidates if o is not c)]
        return candidates

    def decide(self, state: State, question: str, und: Understanding, reading: Reading | None = None) -> Outcome:
        """Act on what the engine understood, in the light of the previous turn."""
        contextual = self.followups.resolve(state, question, und, reading or self.context.read(question))
        if contextual is not None:
            return contextual
        outcome = self._decide(state, question, und)
        if outcome.entry is None and outcome.kind in ("fallback", "clarify", "topic_menu"):
            self.followups.remember_candidates(outcome, und)  # a place sent next re-asks the question there
        return outcome

    def _decide(self, state: State, question: str, und: Understanding) -> Outcome:
        """The reply to a message that does not lean on the previous turn."""
        best = und.best
        pending = state.pending or {}
        if und.topic == "chitchat" and best is not None:
            intent = und.intent
            if intent == "greet":
                return self.menu(state, "greeting", "greet")
            if intent in ("anyone_there", "bot_identity"):
                return self.introduce(state, intent)
            if intent == "menu":
                return self.menu(state)
            if intent == "affirm" and pending.get("kind") == "handoff":
                return self.handoff(state, pending.get("question"))
            if intent == "deny" and pending.get("kind") == "handoff":
                return self.on_payload(state, "h:0", question)
            key = intent if intent in ("thanks", "goodbye", "affirm", "deny") else "affirm"
            state.pending = None
            reply = Reply(text=self.kb.text(key))
            return self._outcome(
                state, reply, "chitchat", "chitchat", intent, confidence=und.topic_confidence, answered=True
            )
        if und.topic == "human":
            return self.handoff(state, pending.get("question") or question)
        if und.topic == "out_of_scope" or und.topic_confidence < self.policy.topic_threshold:
            score = best.score if best else 0.0
            return self.fallback(state, question, "out_of_scope", "out_of_scope", score)
        candidates = [c for c in und.entries() if c.topic == und.topic]
        unanswerable = und.intent.startswith(UNANSWERABLE_PREFIX)
        if unanswerable or not candidates or candidates[0].score < self.policy.answer_threshold:
            lead = self.kb.text("not_in_plans")
            score = und.topic_confidence if unanswerable or not candidates else candidates[0].score
            return self.topic_menu(state, und.topic, lead=lead, confidence=score, answered=False, question=question)
        candidates = self.own_province_first(state, candidates)
        first = self.kb.entries[str(candidates[0].entry)]
        close = [
            self.kb.entries[str(c.entry)]
            for c in candidates[1:]
            if c.score >= self.policy.clarify_ratio * candidates[0].score
            and not (first.group and self.kb.entries[str(c.entry)].group == first.group)
        ]
        if close and candidates[0].score < self.policy.clarify_ceiling:
            return self.clarify(state, [first, *close[: self.policy.max_options - 1]], und.topic, candidates[0].score)
        own = self.followups.own_entry(state, first, question)
        if own is not first:  # the province named with the question ("em ở Bắc Hà, mới đi Hàn về"): its own entry
            outcome = self.answer_or_ask_province(state, own, candidates[0].score, question)
            outcome.topic = und.topic  # on the topic asked
            return outcome
        return self.answer_or_ask_province(state, first, candidates[0].score, question)
