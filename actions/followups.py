"""Follow-ups: a message resolved against the previous turn (what actions/context.py reads in it).

The desk decides; the Responder (actions/respond.py) builds the replies (typed against the
protocol of actions/replies.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actions.context import Reading
from actions.followup_reading import RESTATED, SHORT, FollowUpReading
from actions.types import Option, Outcome, State
from knowledge.model import ENTRY_TOPICS, Entry
from nlu.normalize import normalize
from nlu.training import UNANSWERABLE_PREFIX
from nlu.types import Understanding

if TYPE_CHECKING:
    pass

_NOT_IN_ANY_PLAN = {"wage": "no_wage", "cost": "no_fees", "when": "no_dates"}  # details no plan gives: its text
_NEARLY_SURE = 0.9  # an entry's score the engine is nearly sure of: a subject of its own after "còn …"


class FollowUpDesk(FollowUpReading):
    """Follow-ups for one Responder: the same question elsewhere, its steps, a related entry."""

    def same_for_province(self, state: State, previous: Entry, province: str, question: str) -> Outcome:
        """The previous question asked again for another province ("còn Lào Cai thì sao")."""
        state.province = province
        name = self.kb.provinces[province].name if province in self.kb.provinces else province
        if province == "other":  # no plan there: the same answer, said to be another province's plan
            note = ""
            if previous.scope in self.kb.provinces:
                plan = self.kb.provinces[previous.scope].name
                note = self.kb.text("other_province_note").format(province=plan)
            return self.responder.answer(state, previous, 1.0, question, note)
        target = previous if previous.scope == province else self.rules.counterpart(previous, province, self.kb)
        if target is None or (previous.scope == "national" and target.scope != province):
            target = previous if previous.scope == "national" else target  # no plan of its own: the national one
        if target is not None:
            subject = self.subject(state, previous)
            outcome = self.responder.answer(state, target, 1.0, question)
            self.keep_subject(state, subject, target)
            if self.rules.provincial.get(previous.id, {}).get(province) == target.id:
                # a national question's own answer there: "đi làm nước ngoài hợp pháp" → "lào cai" stays work abroad
                outcome.topic = previous.topic
                state.last = {**(state.last or {}), "topic": previous.topic}
            return outcome
        main = self.rules.main_for_topic(previous.topic, province, self.kb)
        office = self.rules.steps_for(previous, province, self.kb)  # whom to ask about it, if a national office
        if office is previous:  # its own answer says whom to ask there: the topic's office everywhere
            office = self.rules.steps_for_topic(previous.topic, "national", self.kb) or previous
        nearest = (
            main if main is not None and main.scope == province and previous.topic in self.rules.nearest_main else None
        )
        nearest = nearest or (office if office.scope == "national" and office is not previous else None)
        if nearest is not None:
            # "còn ở lào cai" after a course Lào Cai's plan has no entry for: what that plan says on courses;
            # after social insurance: the office in charge everywhere, said not to be that plan's
            outcome = self.responder.answer(state, nearest, 1.0, question)
            lead = self.kb.text("followup_nearest_in_province").format(province=name)
            outcome.reply.text = f"{lead}\n\n{outcome.reply.text}"
            outcome.answered = False  # not that question: officials see it among the unanswered
            return outcome
        lead = self.kb.text("followup_not_in_province").format(province=name)
        return self.responder.topic_menu(
            state, previous.topic, lead=lead, confidence=1.0, answered=False, question=question
        )

    def steps(
        self, state: State, previous: Entry, kind: str, question: str, more: bool = False, how: bool = False
    ) -> Outcome:
        """What to do after the previous answer (the same entry again for "more"); after a warning, its advice."""
        if kind == "warning":
            outcome = self.responder.answer(state, previous, 1.0, question, self.kb.text("warning_steps"))
            outcome.warning = True  # still the worker's situation
            state.last = {**(state.last or {}), "kind": "warning"}
            return outcome
        if state.province and previous.scope not in ("national", state.province):  # "vậy kiên giang thì hỏi ai"
            previous = self.rules.counterpart(previous, state.province, self.kb) or previous
        elsewhere = previous.scope == "national" and state.province in self.kb.provinces  # its province's own
        listed = previous.id in self.rules.steps_of  # its steps named in actions/context.yaml
        says_where = kind == "answer" and not (elsewhere or listed) and bool(self.kb.offices_named(previous.answer))
        # an office's own entry ("cai nghiện: nay hỏi Công an tỉnh") whose province's own names no office: itself
        local = self.local(previous, state.province)
        names_first = not listed and bool(self.kb.offices_named(previous.first_screen))
        names_first = names_first and not (local is not previous and self.kb.offices_named(local.first_screen))
        target = (
            previous if more or says_where or names_first else self.rules.steps_for(previous, state.province, self.kb)
        )
        if how and not more:  # "vậy giờ làm sao": an answer that says what to do, itself
            target = self.kb.entries.get(self.rules.steps_how.get(previous.id, ""), target)
        subject = self.subject(state, previous)
        outcome = self.responder.answer(state, target, 1.0, question)
        self.keep_subject(state, subject, target)
        return outcome if more else self.office_first(outcome)

    def subject(self, state: State, previous: Entry) -> str:
        """The topic the worker is asking about: the previous turn's, kept while the bot names the office
        in charge ("đi Nhật" → "hỏi ai" → Sở Nội vụ's entry, an employment one → "mất bao lâu": still work abroad)."""
        last = state.last or {}
        topic = str(last.get("subject") or last.get("topic") or "")
        return topic if topic in ENTRY_TOPICS else previous.topic

    def served(self, entry_id: str) -> frozenset[str]:
        """The topics an office's entry is the place to ask about (its own, and those it is named for)."""
        tables = (*self.rules.steps_by_topic.items(), *self.rules.main_by_topic.items())
        topics = {t for t, by_scope in tables if entry_id in by_scope.values()}
        topics |= {
            self.kb.entries[e].topic for e, o in self.rules.steps_of.items() if o == entry_id and e in self.kb.entries
        }
        return frozenset(topics)

    def keep_subject(self, state: State, subject: str, given: Entry) -> None:
        """After an office's entry given for `subject` (an entry of another topic that is that subject's
        office too: Sở Nội vụ for jobs and for going abroad), the subject stays."""
        if state.last is not None and given.topic != subject and subject in self.served(given.id):
            state.last["subject"] = subject

    def office_first(self, outcome: Outcome) -> Outcome:
        """Whom to ask, first: an answer naming its office only further down ("… bạn hỏi Sở Y tế tỉnh") leads
        with that paragraph, the rest unchanged after it."""
        entry = self.kb.entries.get(outcome.entry or "")
        if entry is None or self.kb.offices_named(entry.first_screen):
            return outcome
        para = next((p for p in entry.answer.split("\n\n") if self.kb.offices_named(p)), None)
        text = outcome.reply.text
        if para is None or para not in text:
            return outcome
        rest = "\n\n".join(p for p in text.split("\n\n") if p.strip() != para.strip())
        outcome.reply.text = f"{para}\n\n{rest}"
        return outcome

    def urgent(self, state: State, question: str, reading: Reading, und: Understanding) -> Outcome | None:
        """After a trouble-abroad reply, a follow-up ("số nào gọi được", "giờ làm sao", "nhà em ở
        Bát Xát") stays in that situation: the urgent reply again, the province set when named."""
        if self.brokers.rules.settled.fires(normalize(question).folded):  # "về nước rồi thì tìm việc ở đâu"
            return None
        entries = und.entries()
        home = self.rules.after_return.cover(self.rules.tokens(question))
        if home and entries and entries[0].entry != self.brokers.rules.urgent_entry:
            return None  # "nó về được thì tỉnh có giúp tìm việc không": the engine's answer
        asks_help = reading.contact or reading.papers or (reading.asks_steps and reading.length <= 2 * SHORT)
        if asks_help and not reading.switch_topic:  # "số hotline", "cần làm giấy tờ gì, liên hệ ai"
            return self.brokers.trouble_abroad(state, question, normalize(question))
        if self.chatting(und) and reading.length <= SHORT:  # "có", "cảm ơn", "gặp cán bộ": the handoff offered
            return None
        if self.new_question(und, reading) and und.entries()[0].entry != self.brokers.rules.urgent_entry:
            return None  # "còn cháu muốn đi làm nước ngoài đúng luật thì sao": a question of its own
        if reading.cue in ("steps", "more") or reading.place_only or reading.points_back:
            return self.brokers.trouble_abroad(state, question, normalize(question))
        if not self.sure(und) and reading.topic is None:  # "có nên chuyển tiền chuộc cho tụi nó không": still that
            return self.brokers.trouble_abroad(state, question, normalize(question))
        return None

    def bare_topic(self, state: State, topic: str, question: str) -> Outcome:
        """A topic named alone ("học nghề", "xkld", "tìm việc"): where to go for it (the topic's main entry,
        for the worker's province when known), with the topic's other entries offered as buttons."""
        main = self.rules.main_for_topic(topic, state.province, self.kb)
        if main is None:
            return self.responder.topic_menu(state, topic)
        outcome = self.responder.answer(state, main, 1.0, question)
        outcome.reply.options = self.responder.topic_options(state, topic, leave_out=outcome.entry or "")
        return outcome

    def no_fees(
        self, state: State, topic: str, question: str, key: str = "no_fees", previous: Entry | None = None
    ) -> Outcome:
        """The cost ("học phí bao nhiêu") of what was just said: the plans give no fees; an official is
        offered. `key`: another thing the plans do not give (a phone number: "no_contact"). With the
        entry just given, the reply stays on it: what it says, and that it does not give the detail."""
        lead = self.kb.text(key)
        if previous is not None:
            return self.not_given(state, previous, question, lead)
        return self.responder.topic_menu(state, topic, lead=lead, confidence=0.0, answered=False, question=question)

    def asked_of(self, previous: Entry, question: str, kind: str) -> bool:
        """Whether the detail asked names what the entry itself is ("tháng mấy" of the action month,
        "Tháng hành động"): its own answer says what the plan gives about it."""
        tokens = self.rules.tokens(question)
        if kind != "when":  # a wage, a fee: no entry is one
            return False
        asked = {tokens[i] for i in self.rules.details[kind].cover(tokens) - self.rules.shell.cover(tokens)}
        return bool(asked & set(self.rules.tokens(previous.title)))

    def not_given(self, state: State, previous: Entry, question: str, lead: str) -> Outcome:
        """A detail the entry just given does not hold ("lương bao nhiêu", "trung tâm đó ở đâu"): said
        first, then that entry's first lines and its source; "có" passes the question to an official."""
        outcome = self.responder.answer(state, previous, 0.0, question)
        entry = self.kb.entries.get(outcome.entry or "", previous)
        parts = (lead, entry.first_screen, self.kb.source_line(entry))
        outcome.reply.text = "\n\n".join(p for p in parts if p)
        human = Option(label=self.kb.text("human_option"), payload="h:1")
        outcome.reply.options = [human, *outcome.reply.options][: self.responder.policy.max_options]
        outcome.answered = False
        return outcome

    def first_related(self, state: State, previous: Entry, question: str) -> Outcome:
        """After an answer, "why?" or "is it true?": its first related entry (itself if none)."""
        related = next((self.kb.entries[r] for r in previous.related if r in self.kb.entries), previous)
        return self.responder.answer_or_ask_province(state, related, 1.0, question)

    def resolve(self, state: State, question: str, und: Understanding, reading: Reading) -> Outcome | None:
        """Resolve a message against the previous turn, if it leans on it (None: a question of its own)."""
        last = state.last or {}
        previous = self.kb.entries.get(str(last.get("entry") or ""))
        if last.get("kind") == "urgent" and previous is not None:
            stays = self.urgent(state, question, reading, und)
            if stays is not None:
                return stays
        outcome = self._about_previous(state, question, und, reading, last, previous)
        if outcome is None and previous is not None:
            outcome = self._detail(state, question, und, reading, str(last.get("kind")), previous)
        if outcome is not None:
            return outcome
        if self.asked_there(und, reading, previous):
            return None  # "vậy còn kiên giang có kế hoạch gì": that province's own entry, which the engine is sure of
        for step in (self._at_place, self._cued):
            outcome = step(state, question, reading, last, previous)
            if outcome is not None:
                return outcome
        if reading.topic:
            return self.bare_topic(state, reading.topic, question)
        if previous is None or self.chatting(und) or self.sure(und):
            return None
        return self._unsure(state, question, und, reading, str(last.get("kind")), previous)

    def _about_previous(
        self,
        state: State,
        question: str,
        und: Understanding,
        reading: Reading,
        last: dict[str, Any],
        previous: Entry | None,
    ) -> Outcome | None:
        """A brief question about what was just said: its refund or contact, a part of the plan, a country,
        another topic, the cost, why."""
        topic = str(last.get("topic") or "")
        kind = str(last.get("kind"))
        brief = reading.length <= 2 * SHORT
        if kind == "warning" and previous is not None and brief and (reading.refund or reading.contact):
            return self.steps(state, previous, kind, question)  # "đòi lại được không": the warning's advice
        part = self.rules.plan_part(previous, reading.plan_ask, self.kb) if previous is not None else None
        if part is not None and brief and reading.province in (None, part.scope):  # "chỉ tiêu?"
            return self.responder.answer(state, part, 1.0, question)
        if reading.contact and brief and topic in ENTRY_TOPICS and kind != "warning" and reading.detail != "plan":
            if previous is not None and previous.id == self.brokers.rules.urgent_entry:
                return self.responder.answer(state, previous, 1.0, question)  # the hotline it gave
            return self.no_fees(state, topic, question, "no_contact")
        if reading.country and previous is not None:  # "nhật được ko": the plans say nothing by country
            return self.no_fees(state, previous.topic, question, "not_in_plans")
        if reading.switch_topic and previous is not None and reading.switch_topic != previous.topic:
            answered_from = previous.scope if kind == "answer" and previous.scope in self.kb.provinces else None
            here = state.province or answered_from  # the plan just answered from
            main = self.rules.switched(previous, reading.switch_topic, here, self.kb)  # "còn học nghề thì sao"
            entries = und.entries()
            beyond = self.rules.beyond_topic(question, reading.switch_topic)
            if beyond and entries and entries[0].score >= _NEARLY_SURE and und.topic == reading.switch_topic:
                entry = self.kb.entries[str(entries[0].entry)]  # "còn cho người đi nước ngoài về": a subject of its own
                if self.rules.main_for_topic(entry.topic, "national", self.kb) != entry:
                    return self.responder.answer(state, self.local(entry, here), 1.0, question)
            if main is not None:
                return self.responder.answer(state, main, 1.0, question)
        named = self.named_topic_entry(question, und, reading, previous)
        if named is not None:  # "còn việc làm cho người khuyết tật thì sao": that topic's entry for them
            return self.responder.answer(state, self.local(named, state.province), 1.0, question)
        if reading.cue == "cost" and topic in ENTRY_TOPICS:
            return self.no_fees(state, str(last.get("subject") or topic), question)
        if reading.cue == "related" and previous is not None:
            return self.first_related(state, previous, question)
        return None

    def _detail(
        self, state: State, question: str, und: Understanding, reading: Reading, kind: str, previous: Entry
    ) -> Outcome | None:
        """A detail of the entry just given ("tổ chức ở đâu", "mất bao lâu", "nếu … thì sao"): that entry
        again, with what its plan does not say about the detail; wages: not in any plan. Not after a
        warning, and not when the words beside the detail name another subject."""
        if reading.detail is None or kind in ("warning", "urgent") or reading.length > 3 * SHORT:
            return None
        if reading.province not in (None, previous.scope):  # "nếu ở Lào Cai thì sao": that plan's answer
            return None
        if reading.place_only or (reading.detail != "if" and reading.beside_detail):
            return None  # "lãnh được bao nhiêu tháng": a question of its own
        if reading.about and previous.topic not in reading.about:  # "học ở đâu" after a target: the course
            return None
        if state.province not in (None, "other", previous.scope) and previous.scope != "national":
            return None  # the previous answer was another province's plan
        if reading.detail == "if" and self.sure(und) and und.entries()[0].entry != previous.id:
            return None  # "nếu muốn đi Nhật thì sao": a question of its own
        subject = self.subject(state, previous)
        plan = self.kb.entries.get(self.rules.plan_entries.get(previous.scope, ""))
        if reading.detail == "plan" and plan is not None and previous is not plan:  # "kế hoạch đó ban hành ngày nào"
            return self.responder.answer(state, plan, 1.0, question)
        if reading.detail in _NOT_IN_ANY_PLAN:  # "lương bao nhiêu", "học vậy có mất phí không", "bao giờ mở lớp"
            if self.asked_of(previous, question, reading.detail):  # "tháng mấy" of a month the entry is about
                return self.responder.answer(state, previous, 1.0, question)
            return self.no_fees(state, subject, question, _NOT_IN_ANY_PLAN[reading.detail])
        if reading.detail == "address" and previous.id in self.rules.offices:  # an office's address: no plan has it
            return self.no_fees(state, subject, question, "no_contact")
        note = self.kb.text(f"detail_{'where' if reading.detail == 'address' else reading.detail}")
        outcome = self.responder.answer(state, previous, 1.0, question, note)
        self.keep_subject(state, subject, previous)
        if subject != previous.topic and subject in self.served(previous.id):
            outcome.topic = subject  # "mất bao lâu" after the office for going abroad: still about going abroad
        return outcome

    def _at_place(
        self, state: State, question: str, reading: Reading, last: dict[str, Any], previous: Entry | None
    ) -> Outcome | None:
        """A place sent alone, or with words that only restate the previous subject: that question there."""
        if reading.place_only and reading.province:
            if previous is not None:  # the previous question again, for that place
                return self.same_for_province(state, previous, reading.province, question)
            earlier = self.earlier_candidate(last, reading.province)
            if earlier is not None:  # after a clarify or a fallback: the previous question, there
                state.province = reading.province
                return self.responder.answer(state, earlier, 1.0, question)
            if last.get("topic") in ENTRY_TOPICS:  # after a bare topic ("học nghề", "tìm việc"): its main entry there
                state.province = reading.province
                main = self.rules.main_for_topic(str(last["topic"]), reading.province, self.kb)
                if main is not None and main.scope == reading.province:
                    return self.responder.answer(state, main, 1.0, question)
                return self.responder.topic_menu(state, str(last["topic"]))
            return self.responder.set_province(state, reading.province)
        if reading.province and previous is not None and self.restates(previous, reading):
            return self.same_for_province(state, previous, reading.province, question)
        return None

    def _cued(
        self, state: State, question: str, reading: Reading, last: dict[str, Any], previous: Entry | None
    ) -> Outcome | None:
        """A cue ("làm sao giờ", "cụ thể hơn"): the steps of what was just said, or more of it."""
        if reading.cue == "steps" and previous is None and last.get("topic") in ENTRY_TOPICS:  # after a menu
            target = self.rules.steps_for_topic(str(last["topic"]), state.province, self.kb)
            if target is not None:
                return self.responder.answer(state, target, 1.0, question)
        if reading.cue == "steps" and previous is not None and reading.about and previous.topic not in reading.about:
            target = self.rules.steps_for_topic(reading.about[0], state.province, self.kb)  # "học ở đâu" after a target
            if target is not None:
                return self.responder.answer_or_ask_province(state, self.local(target, state.province), 1.0, question)
        kind = str(last.get("kind"))
        if reading.cue == "steps" and kind == "warning" and reading.province in self.kb.provinces:
            topic = previous.topic if previous else "work_abroad"
            target = self.rules.steps_for_topic(topic, reading.province, self.kb)
            if target is not None and target.scope == reading.province:  # "tui ở Vĩnh Thuận, hỏi ai": its office
                return self.responder.answer(state, target, 1.0, question)
        if reading.cue and previous is not None:
            return self.steps(state, previous, kind, question, more=reading.cue == "more", how=reading.how)
        more = reading.beside_more
        if previous is not None and more is not None and len(more) <= RESTATED and more <= self._entry_words(previous):
            return self.steps(state, previous, kind, question, more=True)  # "cụ thể được hỗ trợ gì"
        return None

    def _unsure(
        self, state: State, question: str, und: Understanding, reading: Reading, kind: str, previous: Entry
    ) -> Outcome | None:
        """A short question the engine is unsure of, after an answer: its steps, a related entry, the same
        question for another province, or "not in the plans" on the previous topic."""
        length = len(self.rules.tokens(question))
        if reading.asks_steps and length <= 2 * SHORT:  # "thế em phải làm gì để được hưởng"
            return self.steps(state, previous, kind, question, how=reading.how)
        short = length <= SHORT
        asked = self.rules.content_words(question)
        if short and asked and asked <= set(self.rules.tokens(previous.answer)):  # "vay vốn được không": it says so
            return self.responder.answer(state, previous, 1.0, question)
        if reading.points_back or short:
            related = self.related_to(previous, question, und)
            if related is not None:
                return self.responder.answer_or_ask_province(state, related, 1.0, question)
        answerable = [
            c for c in und.entries() if c.topic == und.topic and c.score >= self.responder.policy.answer_threshold
        ]
        lost = und.topic == "out_of_scope" or und.intent.startswith(UNANSWERABLE_PREFIX) or not answerable
        if lost and short and reading.province and reading.province != previous.scope:  # "lào cai năm nay ntn"
            return self.same_for_province(state, previous, reading.province, question)
        if lost and self.rules.anaphora.cover(self.rules.tokens(question)):  # "trung tâm đó ở đâu": on that entry
            return self.not_given(state, previous, question, self.kb.text("not_in_entry"))
        if lost and (reading.points_back or short):  # about what was just said, and not in the plans
            lead = self.kb.text("not_in_plans")
            return self.responder.topic_menu(
                state, previous.topic, lead=lead, confidence=0.0, answered=False, question=question
            )
        return None
