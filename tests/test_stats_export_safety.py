"""Statistics exports are safe to open in a spreadsheet (issue 12 §3): labels that managers
and admins typed never become formulas, control characters never break a file, and the
two CSV flavours download under different names."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from models.access import Unit
from models.catalogue import (
    DEFAULT_FILE,
    FieldOption,
    FieldSet,
    import_catalogue,
    load_file,
    set_unit_options,
    unit_options,
    units_of_activity,
)
from models.core.clock import local_midnight, local_today
from models.core.errors import DomainError
from models.tally import record_tally
from tests.tally_helpers import activity, load_catalogue, member_of
from views.manage.export import FORMULA_STARTS, safe_text

SERIOUS = "faltare-allvarssamtal"
# One label per character a spreadsheet reads as the start of a formula (OWASP).
HOSTILE_LABELS = ['=HYPERLINK("http://evil.example","klicka")', "+SUM(1,2)", "-2+3",
                  "@SUM(1)", "\t=1+1", "\r=cmd|' /C calc'!A0"]
HOSTILE_UNITS = ["=cmd|' /C calc'!A0", "+Enhet", "-Enhet", "@Enhet", "\tEnhet", "\rEnhet"]
# Swedish Excel splits a "," file at ";" too: unquoted, this would start a formula cell.
SEMICOLON_UNIT = "Norr;=SUM(1)"


def _store_labels(db, activity_id: int, field_key: str, labels: dict[str, str]) -> None:
    """Labels as stored in every version of the field set: what a list saved before
    labels were checked left behind."""
    sets = select(FieldSet.id).where(FieldSet.activity_id == activity_id)
    for option in db.exec(select(FieldOption).where(
            col(FieldOption.field_set_id).in_(sets), FieldOption.field_key == field_key,
            col(FieldOption.code).in_(list(labels)))):
        option.label = labels[option.code]
        db.add(option)
    db.commit()


@pytest.fixture
def hostile(db, people):
    """A month of talks whose problem areas and units carry formula-like names."""
    load_catalogue(db)
    act = activity(db, SERIOUS)
    unit = units_of_activity(db, act.id)[0]
    fia = member_of(people, db, SERIOUS, "fia")
    options = load_file(DEFAULT_FILE)["option_lists"]["problem_area"]["options"]
    codes = [o["code"] for o in options][:len(HOSTILE_LABELS)]
    _store_labels(db, act.id, "problem_area", dict(zip(codes, HOSTILE_LABELS, strict=True)))
    units = [Unit(name=name) for name in [*HOSTILE_UNITS, SEMICOLON_UNIT]]
    db.add_all(units)
    db.commit()
    maja = people.user("maja", "manager", [unit, *units])
    start = local_midnight(local_today().replace(day=1)) + timedelta(hours=9)
    for i in range(12):
        occurred = start + timedelta(minutes=7 * i)
        record_tally(db, fia, act, {"gender_young": "k", "age_individual": "14",
                                    "problem_area": codes[i % len(codes)],
                                    "route_in": "polis"},
                     uuid.uuid4(), occurred_at=occurred, now=occurred + timedelta(minutes=2))
    db.commit()
    people.login(maja)
    return {"act": act, "unit": unit}


def export_url(act, **query) -> str:
    return "/manage/stats/export?" + "&".join(
        f"{k}={v}" for k, v in {"activity": act.id, **query}.items())


def csv_cells(response, separator: str) -> list[str]:
    assert response.status_code == 200
    rows = csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""),
                      delimiter=separator)
    return [cell for row in rows for cell in row]


@pytest.mark.parametrize("fmt", ["csv", "csv-semicolon"])
@pytest.mark.parametrize("table", ["field-problem_area", "units"])
def test_no_csv_cell_begins_a_formula(client, hostile, fmt, table):
    response = client.get(export_url(hostile["act"], table=table, format=fmt))
    cells = csv_cells(response, ";" if fmt == "csv-semicolon" else ",")
    assert [c for c in cells if c.startswith(FORMULA_STARTS)] == []
    names = HOSTILE_LABELS if table.startswith("field") else HOSTILE_UNITS
    assert all("'" + name in cells for name in names)  # quoted, not left out


def test_csv_text_is_quoted_so_a_semicolon_in_a_label_cannot_start_a_cell(client, hostile):
    response = client.get(export_url(hostile["act"], table="units", format="csv"))
    lines = response.data.decode("utf-8-sig").splitlines()
    assert f'"{SEMICOLON_UNIT}",0,0' in lines


def test_xlsx_has_no_formula_and_no_text_beginning_one(client, hostile):
    response = client.get(export_url(hostile["act"], table="all", format="xlsx"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert [t for t in texts if t.startswith(FORMULA_STARTS)] == []
    # a carriage return comes back as a line break or as itself, by the XML library
    quoted = {"'" + name.replace("\r", "\n") for name in HOSTILE_LABELS + HOSTILE_UNITS}
    assert quoted <= {t.replace("\r", "\n") for t in texts}


@pytest.mark.parametrize(("text", "safe"), [
    ("=1+1", "'=1+1"),
    ("-2+3", "'-2+3"),
    ("\x01=1+1", "'=1+1"),  # stripped first, then quoted
    ("Sko\x01la\x1b", "Skola"),
    ("-5", "-5"),  # a negative number stays a number
    ("-1,5", "-1,5"),
    ("Skola", "Skola"),
    ("<5", "<5"),
])
def test_safe_text_strips_control_characters_and_quotes_formulas(text, safe):
    assert safe_text(text) == safe


def test_a_control_character_left_in_an_old_list_does_not_break_the_xlsx(client, db, people):
    load_catalogue(db)
    act = activity(db, SERIOUS)
    unit = units_of_activity(db, act.id)[0]
    set_unit_options(db, unit.id, "problem_area", [{"code": "spel", "label": "Spel"}])
    _store_labels(db, act.id, "problem_area", {"spel": "Sp\x01el\x1b"})
    set_unit_options(db, unit.id, "problem_area", None)  # restored; the label lives on
    db.commit()
    people.login(people.user("maja", "manager", [unit]))
    response = client.get(export_url(act, table="all", format="xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["Problematik"]
    assert "Spel" in [row[0] for row in sheet.iter_rows(values_only=True)]


class _ById(HTMLParser):
    """The text of the element with one id."""

    def __init__(self, wanted: str):
        super().__init__()
        self.wanted, self.depth, self.text = wanted, 0, None

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.wanted:
            self.depth, self.text = 1, ""

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text += data


def text_of(response, element_id: str) -> str | None:
    parser = _ById(element_id)
    parser.feed(response.get_data(as_text=True))
    return parser.text


def test_a_manager_cannot_save_an_option_with_a_control_character(client, db, people):
    load_catalogue(db)
    unit = units_of_activity(db, activity(db, SERIOUS).id)[0]
    people.login(people.user("maja", "manager", [unit]))
    response = client.post(f"/units/{unit.id}/tally-options", data={
        "list_key": "problem_area", "options": "Skola\nSpel\x01 om pengar\n"})
    assert response.status_code == 422
    assert "osynligt styrtecken" in text_of(response, "err-problem_area")
    db.expire_all()
    assert "problem_area" not in unit_options(db, unit.id)


def test_a_catalogue_file_with_a_control_character_in_an_option_is_refused(db):
    data = load_file(DEFAULT_FILE)
    data["option_lists"]["problem_area"]["options"][0]["label"] = "Föräldra\x07skap"
    with pytest.raises(DomainError):
        import_catalogue(db, data, create_units=True)


def test_csv_content_type_names_the_charset_once(client, hostile):
    response = client.get(export_url(hostile["act"], table="units", format="csv"))
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_the_two_csv_flavours_download_under_different_names(client, hostile):
    names = {client.get(export_url(hostile["act"], table="units", format=fmt))
             .headers["Content-Disposition"] for fmt in ("csv", "csv-semicolon")}
    assert len(names) == 2
