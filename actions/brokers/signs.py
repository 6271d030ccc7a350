"""What a message shows: warning signs of an illegal broker or scam, and a worker abroad in trouble.

The cue patterns (rules.py) name the signs; the learned detector (actions/situations.py), when
there is one, says whether a story is told at all.
"""

from __future__ import annotations

from actions.brokers.rules import BrokerRules
from actions.situations import SituationDetector
from nlu.normalize import Normalized


def read_situation(
    rules: BrokerRules, detector: SituationDetector | None, norm: Normalized
) -> tuple[tuple[str, ...], bool, bool]:
    """(warning signs the cues name, warning, urgent): a cue fires or the detector's probability
    reaches its threshold (warning: a broker or scam; urgent: a worker abroad in trouble)."""
    signs = rules.warning_signs(norm.folded)
    # bound by a debt (wages kept against it) counts as trouble told, as the urgent cues do
    urgent_cue = rules.urgent.fires(norm.folded) or rules.bondage.fires(norm.folded)
    if detector is None:
        return signs, bool(signs), urgent_cue
    reading = detector.read(norm)
    config = detector.config
    # A cue on a general question ("khi bị giữ hộ chiếu thì làm gì") that the model reads as no story at all
    # does not count: cues name the sign, the model says whether a story is told (not on a few words:
    # the model is unsure there, "bị lừa rồi" stands).
    floor = config.cue_floor if len(norm.folded.split()) >= config.min_words else 0.0
    # A question about a rule or a word ("công ty có quyền giữ hộ chiếu không", "visa lịch sử là gì")
    # tells no story: it warns, cue or not, only when the model is nearly sure.
    asks_rule = rules.rule_question.fires(norm.folded)
    # Nothing tying the message to going abroad or to a broker ("cho anh vay 10 triệu", "chủ vựa cá ở
    # Phú Quốc giữ căn cước"): trouble at home, a warning only when the model is nearly sure.
    no_context = not rules.warning_context.fires(norm.folded)
    at_home = no_context or rules.domestic.fires(norm.folded)
    # Back home, an old story, a relative abroad who is fine: only a model nearly sure warns.
    settled = rules.settled.fires(norm.folded)
    needed = max(
        config.rule_question_threshold if asks_rule else 0.0,
        config.no_context_threshold if at_home else 0.0,
        config.settled_threshold if settled else 0.0,
    )
    # A workplace, a shop or land in Viet Nam named, nothing of going abroad, of a broker sending workers or
    # of a licence ("xưởng tui không phát đồ bảo hộ", "môi giới đất đòi cọc giữ lô"): nearly never, though a
    # contract or a company is named.
    home = rules.domestic.fires(norm.folded)
    if home:
        needed = max(needed, config.home_threshold)
    if reading.warning < floor or reading.warning < needed:
        signs = ()
    warned = bool(signs) or (reading.warning_flag and reading.warning >= needed)
    # A scam seen in the news or on TV, with nothing offered to the speaker: a question, not a story.
    if rules.hearsay.fires(norm.folded):
        signs, warned = (), False
    # Urgent means a worker abroad in trouble: without a word that places someone abroad (or with one
    # that places them back home, in the province) and a word of trouble, only a model that is nearly
    # sure makes it urgent.
    abroad = rules.abroad.fires(norm.folded) and rules.trouble.fires(norm.folded) and not asks_rule
    # A workplace in Viet Nam named ("nhà máy bên Bảo Thắng"): never urgent on the model alone.
    urgent = (abroad and urgent_cue and reading.urgent >= floor) or (
        reading.urgent_flag and (abroad or (not home and reading.urgent >= config.not_abroad_threshold))
    )
    urgent = urgent and (not settled or reading.urgent >= config.settled_urgent_threshold)
    # Abroad in trouble and there illegally (run away, overstaying, hiding, "làm chui"): a warning too.
    # Or bound by a debt there (wages kept against a debt, the broker's fee, the "price" paid): forced labour.
    illegal = rules.urgent_plan.fires(norm.folded) or rules.bondage.fires(norm.folded)
    warned = warned or (urgent and illegal and reading.warning >= config.cue_floor)
    return signs, warned, urgent
