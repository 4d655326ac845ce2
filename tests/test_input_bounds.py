"""One parser per kind of input (models/parse.py, views/converters.py): ids, days, times,
and text checked against the column sizes, each refused at its field, never a 500."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from models.access import Unit, User
from models.core.errors import DomainError
from models.core.parse import (
    ID_MAX,
    clean_text,
    parse_day,
    parse_id,
    parse_ids,
    parse_int,
    parse_moment,
    parse_time,
)
from tests.conftest import html_text, soup

NOT_IDS = ["²", "٣", "１２", "9223372036854775808", "9999999999999999999999999", "0", "-1",
           "1e3", "1.0", "", " ", "0x10", "1_000", None, "\x00", "12\x00"]


@pytest.mark.parametrize("raw", NOT_IDS)
def test_only_ascii_digits_within_bigint_are_an_id(raw):
    assert parse_id(raw) is None


def test_an_id_may_be_as_large_as_bigint():
    assert parse_id(str(ID_MAX)) == ID_MAX and parse_id(" 42 ") == 42 and parse_id(7) == 7


def test_several_ids_are_refused_together_when_one_is_not_an_id():
    assert parse_ids(["1", "2", ""]) == [1, 2]
    assert parse_ids(["1", "²"]) is None


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01",
                                 "2026-02-30", "20260101", "2026-W01-1", "２０２６-01-01",
                                 "2026-1-1", "2026-01-01T00:00", "x" * 10_000])
def test_a_day_outside_the_calendar_or_1900_2100_is_a_field_error(raw):
    with pytest.raises(DomainError) as refused:
        parse_day(raw, "day")
    assert refused.value.field == "day" and "%(" not in str(refused.value)


def test_a_day_within_the_limits_is_a_date():
    assert parse_day("1900-01-01", "d") == date(1900, 1, 1)
    assert parse_day("2100-12-31", "d") == date(2100, 12, 31)
    assert parse_day("", "d", required=False) is None


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59",
                                 "2026-02-30T10:00", "2026-01-01", "now", "2026-01-01T25:00"])
def test_a_moment_outside_the_limits_is_a_field_error(raw):
    with pytest.raises(DomainError):
        parse_moment(raw, "occurred_at")


def test_a_moment_keeps_its_offset_or_is_naive():
    assert parse_moment("2026-03-01T10:15", "t") == datetime(2026, 3, 1, 10, 15)
    assert parse_moment("2026-03-01T10:15:00Z", "t").utcoffset().total_seconds() == 0


@pytest.mark.parametrize("text", ["a\x00b", "a\x01", "\x1b[31m", "a\x7fb", "a\rb\x0b"])
def test_control_characters_are_refused_in_a_name(text):
    with pytest.raises(DomainError):
        clean_text(text, "name", 120)


def test_a_text_with_lines_keeps_newlines_and_tabs_but_not_other_controls():
    assert clean_text(" rad ett\r\nrad\ttvå ", "note", 100, lines=True) == "rad ett\nrad\ttvå"
    with pytest.raises(DomainError):
        clean_text("rad\x00", "note", 100, lines=True)
    with pytest.raises(DomainError):
        clean_text("en\nrad", "name", 100)


def test_a_text_longer_than_its_column_is_refused_with_the_limit():
    with pytest.raises(DomainError) as refused:
        clean_text("x" * 121, "name", 120)
    assert "120" in str(refused.value)


@settings(max_examples=400, derandomize=True, database=None)
@given(st.one_of(st.text(), st.from_regex(r"-?[0-9]{1,30}|[0-9]{4}-[0-9]{2}-[0-9]{2}(T.*)?")))
def test_every_parser_answers_a_value_or_a_field_error_for_any_text(raw):
    ident = parse_id(raw)
    assert ident is None or 1 <= ident <= ID_MAX
    number = parse_int(raw, 0, 730)
    assert number is None or 0 <= number <= 730
    for parser in (parse_day, parse_moment, parse_time, lambda r, f: clean_text(r, f, 120)):
        try:
            parser(raw, "field")
        except DomainError as refused:
            assert refused.field == "field" and "%(" not in str(refused)


# --- over HTTP --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/journal/9999999999999999999999999", "/journal/٣",
                                  "/journal/9223372036854775808/about", "/journal/0",
                                  "/activities/１２", "/notes/²", "/manage/units/-1/day"])
def test_an_id_in_a_path_that_is_not_an_id_is_not_found(client, people, path):
    people.login(people.user("maja", "manager", ["Enhet A"]))
    assert client.get(path).status_code == 404


def test_every_route_takes_its_ids_through_the_id_converter(app):
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            assert type(converter).__name__ in ("IdConverter", "PathConverter"), (
                f"{rule.rule}: <{name}> is read by {type(converter).__name__}")


@pytest.fixture
def admin(client, people):
    people.login(people.user("ada", "admin"))
    return client


@pytest.mark.parametrize("field,value", [
    ("username", "u" * 200), ("display_name", "N" * 200), ("username", "ny\x00"),
    ("display_name", "Ny\x1bAnställd"),
])
def test_a_person_is_refused_at_the_field_when_a_name_is_too_long_or_has_controls(
        admin, db, field, value):
    form = {"username": "nyanstalld", "display_name": "Ny Anställd", "role": "staff",
            "password": "a long first password", field: value}
    response = admin.post("/admin/users", data=form)
    assert response.status_code == 422
    assert soup(response).select_one(f"#err-{field}") is not None
    assert db.exec(select(User).where(User.username.startswith("ny"))).first() is None


@pytest.mark.parametrize("name", ["E" * 500, "Enhet\x00Norr", "Enhet\u0007"])
def test_a_unit_name_too_long_for_its_column_or_with_controls_is_refused(admin, db, name):
    response = admin.post("/admin/units", data={"name": name})
    assert response.status_code == 422
    assert soup(response).select_one("#err-unit_name") is not None
    assert db.exec(select(Unit).where(Unit.name.startswith("E"))).first() is None


def test_a_tally_day_outside_the_calendar_is_asked_again_not_a_crash(client, people, db):
    from tests.tally_helpers import activity, load_catalogue, member_of

    load_catalogue(db)
    worker = member_of(people, db, "faltare-allvarssamtal", "fia")
    people.login(worker)
    act = activity(db, "faltare-allvarssamtal")
    for day in ("0001-01-01", "9999-12-31", "2026-02-30", "²"):
        response = client.post(f"/activities/{act.id}/tallies", data={
            "gender_young": "k", "age_individual": "15", "day": day, "time": "10:00"})
        assert response.status_code == 422, day
        assert "Ange datum och tid." in html_text(response)
