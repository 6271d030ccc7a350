"""Turning dashboard data into what the templates draw (pure functions, no request)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from bot.admin.breakdown import Breakdown, Overview
from bot.admin.charts import (
    PALETTE,
    BarChart,
    ColumnChart,
    LineChart,
    SplitChart,
    bar_chart,
    labelled_bars,
    rate_line,
    split_bars,
    stacked_columns,
)
from bot.admin.texts import Labels
from knowledge.model import TOPICS, KnowledgeBase

WARNING_COLOR = PALETTE[5]  # vermilion: scam warnings stand apart from the topic colours


@dataclass(frozen=True, slots=True)
class OverviewCharts:
    """Each chart over days (and the long-labelled one) comes wide for laptops and narrow for
    phones; the stylesheet shows one of the two."""

    topics_by_day: ColumnChart
    topics_by_day_narrow: ColumnChart
    answered_rate: LineChart
    answered_rate_narrow: LineChart
    channels: BarChart
    campaigns: BarChart
    provinces: BarChart
    top_entries: BarChart
    channels_narrow: BarChart
    campaigns_narrow: BarChart
    provinces_narrow: BarChart
    top_entries_narrow: BarChart
    feedback: SplitChart
    feedback_narrow: SplitChart
    warnings: ColumnChart
    warnings_narrow: ColumnChart


def _short_day(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}"


WEEKLY_AFTER = 92  # days: a longer period is charted a week a column (a year: 53 columns, not 365)


def periods(days: Sequence[str]) -> list[list[str]]:
    """The columns of a chart over days: each day, or for a long period each run of seven days."""
    size = 7 if len(days) > WEEKLY_AFTER else 1
    return [list(days[i : i + size]) for i in range(0, len(days), size)]


def _rate(breakdowns: Sequence[Breakdown]) -> float | None:
    questions = sum(b.questions for b in breakdowns)
    return 100.0 * sum(b.answered for b in breakdowns) / questions if questions else None


def log_link(base: Mapping[str, str], **narrowed: str | None) -> str:
    """The inquiry log (under the admin root) with the overview's filter narrowed further."""
    query = {**base, **{k: v for k, v in narrowed.items() if v is not None}}
    return "/inquiries" + ("?" + urlencode(query) if query else "")


def links_of_days(base: Mapping[str, str], spans: Sequence[Sequence[str]]) -> Callable[..., str]:
    """Links to the log of one column's days (narrowed further), each made once: the wide and the
    narrow charts share them."""
    made: dict[tuple[int, tuple[tuple[str, str | None], ...]], str] = {}

    def on_day(i: int, **narrowed: str | None) -> str:
        key = (i, tuple(sorted(narrowed.items())))
        if key not in made:
            made[key] = log_link(base, start=spans[i][0], end=spans[i][-1], **narrowed)
        return made[key]

    return on_day


def overview_charts(
    data: Overview, labels: Labels, kb: KnowledgeBase, base: Mapping[str, str] | None = None
) -> OverviewCharts:
    """The overview's charts: topics per day, answered rate, channels, campaigns, provinces, top
    entries, feedback. A click on a day's column, a dot or a bar opens the log filtered to it
    (`base`: the overview's own filter, which the log keeps)."""
    base = base or {}
    spans = periods(data.days)
    topics = [t for t in TOPICS if t in data.topic_by_day] + sorted(set(data.topic_by_day) - set(TOPICS))
    series = [(labels.topic(t), [sum(data.topic_by_day[t].get(d, 0) for d in span) for span in spans]) for t in topics]
    rates = [_rate([data.by_day[d] for d in span if d in data.by_day]) for span in spans]
    none = labels.report("none")

    def province(code: str | None) -> str:
        return kb.provinces[code].name if code in kb.provinces else (code or none)

    def title(entry_id: str) -> str:
        return kb.entries[entry_id].title if entry_id in kb.entries else entry_id

    days = [_short_day(span[0]) for span in spans]

    on_day = links_of_days(base, spans)

    def topic_day(i: int, k: int) -> str:
        return on_day(i, topic=topics[k])

    def warned_day(i: int, _k: int) -> str:
        return on_day(i, warning="yes")

    day_links = [on_day(i) for i in range(len(spans))]
    channel_links = [log_link(base, channel=b.key) if b.key else "" for b in data.by_channel]
    campaign_links = [log_link(base, campaign=b.key) if b.key else "" for b in data.by_campaign][:12]
    province_links = [log_link(base, province=b.key) if b.key else "" for b in data.by_province][:12]
    warned = [(str(labels.data["charts"]["warnings"]), [sum(data.warnings_by_day.get(d, 0) for d in s) for s in spans])]
    top = [(title(e), n) for e, n in data.top_entries]
    rated = [(labels.topic(b.key), b.up, b.down) for b in data.by_topic if b.up or b.down]
    channels = [(labels.of("channels", b.key) or none, b.inquiries) for b in data.by_channel]
    campaigns = [(b.key or none, b.inquiries) for b in data.by_campaign][:12]
    provinces = [(province(b.key), b.inquiries) for b in data.by_province][:12]
    return OverviewCharts(
        topics_by_day=stacked_columns(days, series, link=topic_day),
        topics_by_day_narrow=stacked_columns(days, series, width=420, height=220, ticks=4, link=topic_day),
        answered_rate=rate_line(days, rates, links=day_links),
        answered_rate_narrow=rate_line(days, rates, width=420, height=180, ticks=4, links=day_links),
        channels=bar_chart(channels, color=PALETTE[0], links=channel_links),
        campaigns=bar_chart(campaigns, color=PALETTE[1], links=campaign_links),
        provinces=bar_chart(provinces, color=PALETTE[2], links=province_links),
        top_entries=bar_chart(top, width=1000, label_width=420, color=PALETTE[4]),
        channels_narrow=labelled_bars(channels, color=PALETTE[0], links=channel_links),
        campaigns_narrow=labelled_bars(campaigns, color=PALETTE[1], links=campaign_links),
        provinces_narrow=labelled_bars(provinces, color=PALETTE[2], links=province_links),
        top_entries_narrow=labelled_bars(top, color=PALETTE[4]),
        warnings=stacked_columns(days, warned, height=180, colors=(WARNING_COLOR,), link=warned_day),
        warnings_narrow=stacked_columns(
            days, warned, width=420, height=160, colors=(WARNING_COLOR,), ticks=4, link=warned_day
        ),
        feedback=split_bars(rated),
        feedback_narrow=split_bars(rated, width=360, label_width=180),
    )
