"""What a message shows: warning signs of an illegal broker or scam, and a worker abroad in trouble.

The cue patterns (rules.py) name the signs; the learned detector (actions/situations.py), when
there is one, says whether a story is told at all. Each pattern runs only when the verdict can
still depend on it, and at most once a message (most messages need few of them).
"""

from __future__ import annotations

from actions.brokers.rules import BrokerRules, Sign
from actions.situations import SituationDetector
from nlu.normalize import Normalized


class _Cues:
    """The cue patterns of one message, each run at most once, when first asked."""

    __slots__ = ("_fired", "folded")

    def __init__(self, folded: str) -> None:
        self.folded = folded
        self._fired: dict[str, bool] = {}

    def __call__(self, sign: Sign) -> bool:
        fired = self._fired.get(sign.id)
        if fired is None:
            fired = self._fired[sign.id] = sign.fires(self.folded)
        return fired


def read_situation(
    rules: BrokerRules, detector: SituationDetector | None, norm: Normalized
) -> tuple[tuple[str, ...], bool, bool]:
    """(warning signs the cues name, warning, urgent): a cue fires or the detector's probability
    reaches its threshold (warning: a broker or scam; urgent: a worker abroad in trouble)."""
    folded = norm.folded
    fires = _Cues(folded)
    if detector is None:
        named = rules.warning_signs(folded)
        # bound by a debt (wages kept against it) counts as trouble told, as the urgent cues do
        return named, bool(named), fires(rules.urgent) or fires(rules.bondage)
    reading = detector.read(norm)
    config = detector.config
    # A cue on a general question ("khi bị giữ hộ chiếu thì làm gì") that the model reads as no story at all
    # does not count: cues name the sign, the model says whether a story is told (not on a few words:
    # the model is unsure there, "bị lừa rồi" stands).
    floor = config.cue_floor if len(folded.split()) >= config.min_words else 0.0
    signs: tuple[str, ...] = ()
    warned = False
    if reading.warning >= floor or reading.warning_flag:  # else neither a sign nor the model can warn
        needed = _needed(rules, detector, fires)
        if reading.warning >= floor and reading.warning >= needed:
            signs = rules.warning_signs(folded)
        warned = bool(signs) or (reading.warning_flag and reading.warning >= needed)
    # A scam seen in the news or on TV, with nothing offered to the speaker: a question, not a story.
    if (signs or warned) and fires(rules.hearsay):
        signs, warned = (), False
    # Urgent means a worker abroad in trouble: without a word that places someone abroad (or with one
    # that places them back home, in the province) and a word of trouble, only a model that is nearly
    # sure makes it urgent.
    urgent = False
    if reading.urgent >= floor or reading.urgent_flag:  # else neither the cues nor the model make it urgent
        abroad = not fires(rules.rule_question) and fires(rules.abroad) and fires(rules.trouble)
        # bound by a debt (wages kept against it) counts as trouble told, as the urgent cues do
        cue = abroad and reading.urgent >= floor and (fires(rules.urgent) or fires(rules.bondage))
        # A workplace in Viet Nam named ("nhà máy bên Bảo Thắng"): never urgent on the model alone.
        urgent = cue or (
            reading.urgent_flag
            and (abroad or (not fires(rules.domestic) and reading.urgent >= config.not_abroad_threshold))
        )
        # Back home, an old story, a relative abroad who is fine, a scam seen on TV ("tivi chiếu vụ bị nhốt
        # bên Campuchia"): only a model nearly sure makes it urgent.
        calm = fires(rules.settled) or fires(rules.hearsay)
        urgent = urgent and (not calm or reading.urgent >= config.settled_urgent_threshold)
    # Abroad in trouble and there illegally (run away, overstaying, hiding, "làm chui"): a warning too.
    # Or bound by a debt there (wages kept against a debt, the broker's fee, the "price" paid): forced labour.
    if urgent and not warned and reading.warning >= config.cue_floor:
        warned = fires(rules.urgent_plan) or fires(rules.bondage)
    return signs, warned, urgent


def _needed(rules: BrokerRules, detector: SituationDetector, fires: _Cues) -> float:
    """The probability the model must reach for a message to warn, from what the message is."""
    config = detector.config
    # A question about a rule or a word ("công ty có quyền giữ hộ chiếu không", "visa lịch sử là gì")
    # tells no story: it warns, cue or not, only when the model is nearly sure.
    asks_rule = fires(rules.rule_question)
    # Nothing tying the message to going abroad or to a broker ("cho anh vay 10 triệu", "chủ vựa cá ở
    # Phú Quốc giữ căn cước"): trouble at home, a warning only when the model is nearly sure.
    no_context = not fires(rules.warning_context)
    home = fires(rules.domestic)
    # Back home, an old story, a relative abroad who is fine: only a model nearly sure warns.
    needed = max(
        config.rule_question_threshold if asks_rule else 0.0,
        config.no_context_threshold if no_context or home else 0.0,
        config.settled_threshold if fires(rules.settled) else 0.0,
    )
    # A workplace, a shop or land in Viet Nam named, nothing of going abroad, of a broker sending workers or
    # of a licence ("xưởng tui không phát đồ bảo hộ", "môi giới đất đòi cọc giữ lô"): nearly never, though a
    # contract or a company is named.
    if home:
        needed = max(needed, config.home_threshold)
    return needed
