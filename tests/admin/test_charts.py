"""Chart geometry for the server-side SVG charts."""

from __future__ import annotations

from bot.admin.charts import (
    bar_chart,
    labelled_bars,
    nice_ceiling,
    number,
    rate_line,
    split_bars,
    stacked_columns,
    wrap_label,
)


def test_round_axis_maxima_and_vietnamese_numbers() -> None:
    assert [nice_ceiling(v) for v in (0, 3, 7, 12, 480, 1001)] == [1.0, 5.0, 10.0, 20.0, 500.0, 2000.0]
    assert number(1234567) == "1.234.567"


def test_bars_scale_to_the_largest() -> None:
    chart = bar_chart([("Telegram", 100), ("Zalo", 50), ("Web", 0)], width=560, label_width=190)
    room = 560 - 190 - 60
    assert [b.width for b in chart.bars] == [room, room / 2, 0.0]
    assert [b.y for b in chart.bars] == [0, 26, 52] and chart.height == 78


def test_stacked_columns_stack_series_per_day() -> None:
    chart = stacked_columns(["01/03", "02/03"], [("A", [2, 0]), ("B", [2, 4])], width=200, height=100)
    assert len(chart.rects) == 3  # zero-height pieces are left out
    first_day = [r for r in chart.rects if r.title.startswith("01/03")]
    assert first_day[0].y + first_day[0].height == 100 - 28  # A sits on the axis
    assert abs(first_day[1].y + first_day[1].height - first_day[0].y) < 1e-9  # B on top of A
    assert [t.text for t in chart.y_ticks] == ["0", "5"] and chart.legend[0][1] == "A"  # 5: no half-people


def test_rate_line_breaks_where_there_is_nothing_to_rate() -> None:
    chart = rate_line(["a", "b", "c", "d"], [50.0, None, 100.0, 80.0], width=200, height=100)
    assert len(chart.segments) == 2 and len(chart.dots) == 3


def test_feedback_bars_split_at_the_centre() -> None:
    chart = split_bars([("Học nghề", 4, 2)])
    [bar] = chart.bars
    assert bar.up_width == 2 * bar.down_width and bar.up == 4


def test_phone_bars_keep_whole_labels_on_lines_above_the_bars() -> None:
    long = "Kiên Giang (nay thuộc tỉnh An Giang) — hỗ trợ người lao động đi làm việc ở nước ngoài"
    chart = labelled_bars([(long, 10), ("Lào Cai", 5)], width=360)
    first, second = chart.bars
    assert " ".join(first.lines) == long and len(first.lines) == 2  # wrapped, nothing cut
    assert all(len(line) <= 360 / 7.6 for line in first.lines)
    assert second.lines == ("Lào Cai",) and second.y > first.y and chart.height > second.y
    assert first.width == 300 and second.width == 150  # full width under the label
    assert wrap_label("", 10) == ("",)
