"""Hand-made SVG bar charts, laid out here and drawn by templates/manage/_chart.html.

Phone first: horizontal bars, so long Swedish labels get a whole line and the chart is
as wide as the screen (the SVG scales with its viewBox). Each row is a label and one bar
per series (this period, the previous one); the number is written at the end of the bar,
so nothing depends on colour or on reading an axis. A shared chart draws the published
(rounded) figures only, bars included: a bar's length must not give the exact count away.

Colours come from CSS classes (static/css/manage.css), so dark mode and the strict CSP
(no inline styles) both hold. The chart is an image to assistive technology
(role="img" with a title and a description); the table printed under it is its text
alternative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.manage.protection import Cell

WIDTH = 360
PAD = 4
LABEL_H = 18  # a label line above its bars
BAR_H = (14, 9)  # this period's bar is thicker than the comparison's
BAR_GAP = 3
ROW_GAP = 10
SIDE_LABEL_W = 96  # series charts: short labels (weeks, months) beside the bar
VALUE_ROOM = 44  # space kept for the number after the longest bar


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    text: str
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass
class Chart:
    id: str
    title: str
    width: int
    height: int
    labels: list[Label] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    legend: list[str] = field(default_factory=list)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def _scale(rows: list[tuple[str, list[Cell]]]) -> int:
    return max([c.shown for _label, cells in rows for c in cells] + [1])


def bar_chart(chart_id: str, title: str, rows: list[tuple[str, list[Cell]]],
              series: list[str]) -> Chart:
    """Rows with a label line each and one bar per series under it."""
    top = _scale(rows)
    room = WIDTH - 2 * PAD - VALUE_ROOM
    chart = Chart(chart_id, title, WIDTH, 0, legend=list(series))
    y = PAD
    for label, cells in rows:
        chart.labels.append(Label(PAD, y + LABEL_H - 5, label))
        y += LABEL_H
        for index, cell in enumerate(cells[: len(series)]):
            height = BAR_H[min(index, len(BAR_H) - 1)]
            width = room * cell.shown / top
            if cell.shown:
                width = max(width, 2.0)  # a 1 among thousands still shows
            chart.bars.append(Bar(PAD, y, round(width, 1), height, index, cell.text,
                                  round(PAD + width + 4, 1), y + height - 1))
            y += height + BAR_GAP
        y += ROW_GAP - BAR_GAP
    chart.height = int(y + PAD)
    return chart


def series_chart(chart_id: str, title: str, rows: list[tuple[str, list[Cell]]]) -> Chart:
    """One short-labelled bar per step (day, week, month): label beside the bar."""
    top = _scale(rows)
    room = WIDTH - 2 * PAD - SIDE_LABEL_W - VALUE_ROOM
    chart = Chart(chart_id, title, WIDTH, 0)
    y, height = PAD, BAR_H[0]
    for label, cells in rows:
        cell = cells[0]
        chart.labels.append(Label(PAD, y + height - 2, label))
        width = room * cell.shown / top
        if cell.shown:
            width = max(width, 2.0)
        x = PAD + SIDE_LABEL_W
        chart.bars.append(Bar(x, y, round(width, 1), height, 0, cell.text,
                              round(x + width + 4, 1), y + height - 2))
        y += height + 8
    chart.height = int(y + PAD)
    return chart
