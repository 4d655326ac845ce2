"""Hand-made SVG charts: bars in proportion, no bar for a hidden figure, readable labels,
and a page that holds no inline style or script (the CSP forbids both)."""

from __future__ import annotations

from models.manage.charts import WIDTH, bar_chart, series_chart
from models.manage.protection import Cell


def test_bars_are_in_proportion_and_the_number_is_written_at_the_end():
    chart = bar_chart("c", "Kön", [("Tjej", [Cell(20), Cell(10)]), ("Kille", [Cell(5), Cell(0)])],
                      ["november", "oktober"])
    widths = [b.width for b in chart.bars]
    assert widths[0] == 2 * widths[1] == 4 * widths[2] and widths[3] == 0
    assert [b.text for b in chart.bars] == ["20", "10", "5", "0"]
    assert all(b.text_x > b.x + b.width for b in chart.bars)
    assert max(b.x + b.width for b in chart.bars) <= WIDTH
    assert [label.text for label in chart.labels] == ["Tjej", "Kille"]
    assert chart.legend == ["november", "oktober"]


def test_a_shared_chart_draws_the_rounded_figure_never_the_exact_one():
    exact = [("16", [Cell(3, key=0)]), ("15", [Cell(12, key=2**32 - 1)])]
    shared = [(label, [Cell(c.value, c.key, protected=True) for c in cells])
              for label, cells in exact]
    small, big = bar_chart("c", "Ålder", shared, ["november"]).bars
    assert (small.text, big.text) == ("5", "10")  # 3 up (key 0), 12 down (the top key)
    assert small.width == big.width / 2  # the bars' lengths are the published figures'
    assert [b.text for b in bar_chart("c", "Ålder", exact, ["november"]).bars] == ["3", "12"]


def test_a_lone_one_among_thousands_still_shows_a_bar():
    chart = series_chart("s", "Per månad", [("jan", [Cell(5000)]), ("feb", [Cell(1)])])
    assert chart.bars[1].width >= 2
    assert chart.height > 0 and chart.view_box == f"0 0 {WIDTH} {chart.height}"


def test_manager_pages_have_no_inline_style_or_script(client, people):
    unit = people.unit("Fältgruppen")
    people.login(people.user("maja", "manager", [unit]))
    for path in (f"/manage/units/{unit.id}/day", "/manage/stats", "/manage/follow-ups"):
        body = client.get(path).get_data(as_text=True)
        assert " style=" not in body and "<script>" not in body and " onclick=" not in body
        assert "<style" not in body
