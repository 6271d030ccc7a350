"""Office contacts under an answer: a worker who asks where to go or which number to call gets,
under an answer that names an office, that office's address, phone and hours in their province
(knowledge/contacts.yaml, kept by officials in the dashboard; public data with its source)."""

from __future__ import annotations

from dataclasses import replace

from actions.types import Outcome
from knowledge.model import Contact, KnowledgeBase


def asks_where(kb: KnowledgeBase, folded: str) -> bool:
    """Whether the (folded) question asks where to go or whom to call (contacts.yaml `asks`)."""
    words = f" {folded} "
    return any(f" {cue} " in words for cue in kb.contact_text.get("asks") or [])


def contact_line(kb: KnowledgeBase, contact: Contact) -> str:
    reviewed = contact.reviewed.strftime("%d/%m/%Y") if contact.reviewed else ""
    return str(kb.contact_text["line"]).format(
        name=contact.name,
        address=contact.address,
        phone=contact.phone,
        hours=contact.hours,
        source=contact.source,
        reviewed=reviewed,
    )


def with_contacts(kb: KnowledgeBase, outcome: Outcome, folded: str) -> Outcome:
    """The outcome with the contacts of the offices its answer names, when the worker asked for them."""
    if outcome.kind != "answer" or not kb.contacts or not asks_where(kb, folded):
        return outcome
    province = outcome.province or outcome.state.province
    found = [kb.contact(province, office) for office in kb.offices_named(outcome.reply.text)]
    lines = [contact_line(kb, c) for c in found if c is not None]
    if not lines:
        return outcome
    return replace(outcome, reply=replace(outcome.reply, text="\n\n".join([outcome.reply.text, *lines])))
