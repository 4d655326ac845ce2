"""The statistics page and its exports: the cell-key protection as figures leave the unit,
charts, CSV (BOM, `;`) and XLSX files opened and read back, and bad input kept at its
field."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from models.catalogue import units_of_activity
from models.core.clock import local_midnight, local_today
from models.manage.aggregate import period_of, scope_for
from models.manage.protection import BASE, MAX_NOISE
from models.manage.report import build_report
from models.tally import record_tally
from tests.conftest import html_text, soup, text_of, texts
from tests.tally_helpers import activity, load_catalogue, member_of

SERIOUS = "faltare-allvarssamtal"
# 27 talks this month: a single 16-year-old (a "<5") among 13–15-year-olds.
AGES = ["13"] * 9 + ["14"] * 9 + ["15"] * 8 + ["16"]
GENDERS = ["k", "m"] * 13 + ["x"]
PROBLEMS = ["skola", "kriminalitet", "beroende"] * 9


@pytest.fixture
def month(db, people):
    load_catalogue(db)
    act = activity(db, SERIOUS)
    unit = units_of_activity(db, act.id)[0]
    fia = member_of(people, db, SERIOUS, "fia")
    maja = people.user("maja", "manager", [unit])
    today = local_today()
    start = local_midnight(today.replace(day=1)) + timedelta(hours=9)
    for i, (age, gender, problem) in enumerate(zip(AGES, GENDERS, PROBLEMS, strict=True)):
        occurred = start + timedelta(minutes=7 * i)
        record_tally(db, fia, act, {"gender_young": gender, "age_individual": age,
                                    "problem_area": problem, "route_in": "polis"},
                     uuid.uuid4(), occurred_at=occurred, now=occurred + timedelta(minutes=2))
    db.commit()
    people.login(maja)
    return {"act": act, "unit": unit, "maja": maja, "fia": fia, "today": today}


def stats_url(month, **extra) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"activity": month["act"].id, **extra}.items())
    return f"/manage/stats?{query}"


def age_row(response, age: str) -> list[str]:
    """The cells of one age's row in the age table, as text."""
    table = soup(response).select_one("table.stats-table#table-field-age_individual")
    (row,) = [tr for tr in table.select("tbody tr") if text_of(tr.th) == age]
    return [text_of(td) for td in row.select("td")]


def test_shared_view_never_shows_a_small_age(client, month):
    page = client.get(stats_url(month, view="shared"))
    assert page.status_code == 200
    assert age_row(page, "16")[0] in ("0", "5")  # the lone 16-year-old, rounded
    assert age_row(page, "13")[0] in ("5", "10")  # nine, rounded


def test_the_page_opens_on_the_exact_figures_of_the_managers_own_units(client, month):
    page = client.get(stats_url(month))
    assert age_row(page, "16")[0] == "1"
    (current,) = soup(page).select(".view-switch [aria-current=true]")
    assert text_of(current) == "Exakta (inom enheten)"


def test_the_shared_view_says_it_is_the_one_that_leaves_the_unit(client, month):
    page = client.get(stats_url(month, view="shared"))
    (current,) = soup(page).select(".view-switch [aria-current=true]")
    assert "export" in text_of(current)
    assert "lämna enheten" in text_of(soup(page).select_one("#view-note"))


def test_the_export_of_all_tables_comes_before_the_first_table(client, month):
    page = soup(client.get(stats_url(month)))
    order = [el for el in page.select("#exports a[href*='table=all'], table.stats-table")]
    assert "table=all" in order[0]["href"]
    assert "view" not in order[0]["href"]  # the export is the shared version by itself


def test_every_stats_table_scrolls_in_its_own_labelled_box(client, month):
    page = soup(client.get(stats_url(month)))
    for table in page.select("table.stats-table"):
        box = table.find_parent("div", class_="table-scroll")
        assert box is not None and box["role"] == "region" and box.get("aria-label")
    labels = [r["aria-label"] for r in page.select("[role=region]")]
    assert len(labels) == len(set(labels))  # landmark names are unique


def test_the_stats_page_draws_a_chart(client, month):
    chart = soup(client.get(stats_url(month))).select_one("figure.chart svg.chart-svg")
    assert chart["role"] == "img"


def test_exact_view_shows_the_real_figure_within_the_unit(client, month):
    page = client.get(stats_url(month, view="exact"))  # the old links still work
    assert age_row(page, "16")[0] == "1"
    assert soup(page).select("#table-field-age_individual .mark-small") == []


def test_every_shared_figure_is_rounded_and_a_cell_has_one_figure_in_every_table(db, month):
    scope = scope_for(db, month["maja"], [], month["act"].id)
    period = period_of("month", month["today"])
    report = build_report(db, scope, period, shared=True,
                          cross=("problem_area", "age_individual"), series_key="gender_young")
    assert report.grid("cross") and report.grid("field-series")
    for grid in report.grids:
        for table in grid.tables:
            for cell in table.all_cells():
                assert cell.shown % BASE == 0, grid.id
                assert abs(cell.shown - cell.value) <= MAX_NOISE, grid.id
                assert cell.value != 0 or cell.shown == 0, grid.id  # zeros stay zeros
    # Every talk has a problem area, so the cross table's age margins are the very cells
    # of the age table: the same figures.
    cross, ages = report.grid("cross").tables[0], report.grid("field-age_individual").tables[0]
    assert [c.text for c in cross.col_totals] == [c.text for c in ages.column(0)]
    totals = {g.tables[0].total.text for g in report.grids
              if g.id.startswith("field-") and g.id != "field-series"}
    assert totals == {report.total_cell.text}


def test_csv_export_has_a_bom_the_unit_and_period_in_its_name_and_suppression(client, month):
    response = client.get(stats_url(month, table="field-age_individual", format="csv")
                          .replace("/manage/stats?", "/manage/stats/export?"))
    assert response.status_code == 200
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition
    assert "F%C3%A4ltgruppen" in disposition or "Fältgruppen" in disposition
    assert f"{month['today']:%Y-%m}" in disposition
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    by_label = {r[0]: r[1:] for r in rows if r}
    assert by_label["16"][0] in ("0", "5") and by_label["13"][0] in ("5", "10")
    assert "fia" not in raw.decode("utf-8-sig").lower()  # never who logged what


def test_semicolon_csv_for_swedish_excel(client, month):
    response = client.get(stats_url(month, table="field-gender_young", format="csv-semicolon")
                          .replace("/manage/stats?", "/manage/stats/export?"))
    text = response.data.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.count(";") == 2 and "," not in header
    assert "Kön" in text  # å, ä, ö survive


def test_xlsx_export_opens_with_rounded_figures_as_numbers(client, month):
    response = client.get(stats_url(month, table="all", format="xlsx")
                          .replace("/manage/stats?", "/manage/stats/export?"))
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert "Ålder" in book.sheetnames
    sheet = book["Ålder"]
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert values["16"] in (0, 5) and values["13"] in (5, 10) and isinstance(values["13"], int)
    assert any("Fältgruppen" in str(row[0]) for row in sheet.iter_rows(values_only=True))


def test_a_custom_period_ending_before_it_starts_is_refused_at_the_field(client, month):
    response = client.get(stats_url(month, period="custom", start="2026-11-15",
                                    end="2026-11-01"))
    assert response.status_code == 400
    page = soup(response)
    assert text_of(page.select_one("#err-end")) == "Sista dagen ligger före den första."
    assert page.select_one('input[name="end"]')["value"] == "2026-11-01"


def test_an_unknown_export_format_or_table_is_a_bad_request(client, month):
    base = stats_url(month).replace("/manage/stats?", "/manage/stats/export?")
    assert client.get(base + "&format=pdf&table=series").status_code == 400
    assert client.get(base + "&format=csv&table=nope").status_code == 400


def test_another_managers_unit_cannot_be_chosen(client, people, month):
    other = people.user("mats", "manager", [people.unit("Annan enhet")])
    people.logout()
    people.login(other)
    response = client.get(f"/manage/stats?unit={month['unit'].id}")
    assert response.status_code == 400
    assert "Fältgruppen" not in html_text(response)


def test_all_activities_lists_tallies_per_activity(client, month):
    page = client.get("/manage/stats?activity=all")
    assert page.status_code == 200
    assert text_of(soup(page).select_one("#h-activities")) == "Per verksamhet"
    assert month["act"].name in texts(page, '#table-activities th[scope="row"]')


def _one_day(month) -> dict:
    day = month["today"].replace(day=1).isoformat()  # every tally of the month is on the 1st
    return {"period": "custom", "start": day, "end": day}


def test_a_one_day_period_is_counted(client, month):
    """One bucket, one day (issue 12: CASE with no WHEN was a syntax error, a 500)."""
    page = client.get(stats_url(month, view="exact", **_one_day(month)))
    assert page.status_code == 200
    assert text_of(soup(page).select_one("#total-now")) == "27"
    assert soup(page).select_one("#grid-activities") is None


def test_a_one_day_period_is_exported(client, month):
    export = stats_url(month, **_one_day(month)).replace("/manage/stats?", "/manage/stats/export?")
    csv_file = client.get(export + "&format=csv&table=field-age_individual")
    rows = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8-sig"))))
    by_label = {r[0]: r[1:] for r in rows if r}
    assert csv_file.status_code == 200 and by_label["13"][0] in ("5", "10")
    assert client.get(export + "&format=xlsx&table=all").status_code == 200


@pytest.mark.parametrize("field,value", [
    ("date", "0001-01-01"), ("date", "9999-12-31"), ("date", "2026-02-30"),
    ("start", "0001-01-01"), ("end", "9999-12-31"), ("date", "２０２６-01-01"),
])
def test_a_date_outside_the_calendar_is_refused_at_its_field(client, month, field, value):
    period = "custom" if field != "date" else "month"
    args = {"period": period, "start": "2026-01-01", "end": "2026-01-31", field: value}
    for url in (stats_url(month, **args),
                stats_url(month, **args, format="csv", table="totals")
                .replace("/manage/stats?", "/manage/stats/export?")):
        response = client.get(url)
        assert response.status_code == 400, url
    assert soup(client.get(stats_url(month, **args))).select_one(f"#err-{field}") is not None


@pytest.mark.parametrize("unit", ["²", "٣", "9999999999999999999999999", "-1", "1e3"])
def test_a_unit_that_is_not_an_id_is_refused_at_its_field(client, month, unit):
    response = client.get(stats_url(month, unit=unit))
    assert response.status_code == 400
    assert soup(response).select_one("#err-unit") is not None


def test_the_shared_page_explains_the_rounding_to_managers(client, month):
    note = text_of(soup(client.get(stats_url(month, view="shared"))).select_one(".view-note"))
    assert "avrundas slumpvis till jämna femtal" in note
    assert "Summorna avrundas för sig" in note
    exact = text_of(soup(client.get(stats_url(month, view="exact"))).select_one(".view-note"))
    assert "avrundas" not in exact


def test_the_export_and_the_shared_page_show_the_same_figures(client, month):
    page = client.get(stats_url(month, view="shared"))
    export = client.get(stats_url(month, table="field-age_individual", format="csv")
                        .replace("/manage/stats?", "/manage/stats/export?"))
    rows = [r for r in csv.reader(io.StringIO(export.data.decode("utf-8-sig"))) if r]
    by_label = {r[0]: r[1:] for r in rows}
    for age in ("13", "14", "15", "16"):
        assert by_label[age][0] == age_row(page, age)[0]
    assert any("avrundas slumpvis" in r[0] for r in rows)  # the legend says how


def test_a_shared_lag_needs_a_published_count_of_ten(db, people):
    """The median of a handful of times says too much about each: shared, it is shown
    only when the published count is 10 or more — decided on published figures only."""
    load_catalogue(db)
    act = activity(db, SERIOUS)
    fia = member_of(people, db, SERIOUS, "fia")
    maja = people.user("maja", "manager", [units_of_activity(db, act.id)[0]])
    start = local_midnight(local_today().replace(day=1)) + timedelta(hours=9)
    for i in range(3):
        occurred = start + timedelta(minutes=i)
        record_tally(db, fia, act, {"gender_young": "k", "age_individual": "15",
                                    "problem_area": "skola", "route_in": "polis"},
                     uuid.uuid4(), occurred_at=occurred, now=occurred + timedelta(minutes=2))
    db.commit()
    scope = scope_for(db, maja, [], act.id)
    period = period_of("month", local_today())
    assert build_report(db, scope, period, shared=True).tally_lag[0].lag is None
    assert build_report(db, scope, period, shared=False).tally_lag[0].lag.count == 3


def test_the_shared_change_is_worked_out_from_the_published_totals(db, month):
    scope = scope_for(db, month["maja"], [], month["act"].id)
    report = build_report(db, scope, period_of("month", month["today"]), shared=True)
    assert report.total == 27 and report.previous_total == 0
    assert report.change == (report.total_cell.shown, None)  # 25 or 30, never 27
