"""Historic tallies from spreadsheets (issue 18 §2): checked row by row as the composer
checks, stored all or nothing (or the valid rows when asked), exactly once per file."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlmodel import func, select

from models.catalogue import current_field_set
from models.tally import Tally, TallyImport, TallyValue, check_file, import_file
from tests.conftest import soup, texts
from tests.tally_helpers import activity, load_catalogue, member_of

TODAY = date(2026, 12, 1)
EARLIEST = date(2016, 1, 1)
HEADER = ["Datum", "Kön", "Ålder", "Problematik", "Väg in"]


def _csv(rows, header=HEADER, delimiter=";") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _xlsx(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = ["2025-03-14", "Tjej", "15", "Skola", "Polis"]


@pytest.fixture
def allvar(db, people):
    load_catalogue(db)
    act = activity(db, "faltare-allvarssamtal")
    admin = people.user("ada", "admin")
    worker = member_of(people, db, "faltare-allvarssamtal")
    unit_id = worker.units[0].id if hasattr(worker, "units") else None
    from models.catalogue import units_of_activity
    unit_id = units_of_activity(db, act.id)[0].id
    return act, unit_id, admin


def _check(db, allvar, data, name="pinnar.csv"):
    act, unit_id, _admin = allvar
    return check_file(db, act, unit_id, data, name, EARLIEST, TODAY)


def _import(db, allvar, data, name="pinnar.csv", **kw):
    act, unit_id, admin = allvar
    report = import_file(db, admin, act, unit_id, data, name, EARLIEST, TODAY, **kw)
    db.commit()
    return report


def _tallies(db) -> int:
    return db.exec(select(func.count()).select_from(Tally)).one()


def test_a_dry_run_reports_what_the_file_holds_and_stores_nothing(db, allvar):
    report = _check(db, allvar, _csv([GOOD, GOOD]))
    assert (report.rows, report.valid_rows, report.tallies, report.stored) == (2, 2, 2, None)
    assert _tallies(db) == 0


def test_a_valid_file_stores_one_tally_per_row_with_the_day_and_the_values(db, allvar):
    report = _import(db, allvar, _csv([GOOD]))
    assert report.stored == 1
    tally = db.exec(select(Tally)).one()
    values = {(v.field_key, v.choice) for v in db.exec(select(TallyValue))}
    assert values == {("gender_young", "k"), ("age_individual", "15"),
                      ("problem_area", "skola"), ("route_in", "polis")}
    assert tally.occurred_at.astimezone().date() == date(2025, 3, 14)


def test_imported_tallies_are_marked_with_who_when_which_file_and_its_checksum(db, allvar):
    data = _csv([GOOD])
    _import(db, allvar, data, name="fältare 2025.csv")
    batch = db.exec(select(TallyImport)).one()
    tally = db.exec(select(Tally)).one()
    import hashlib
    assert (batch.file_name, batch.sha256, batch.user_id) == (
        "fältare 2025.csv", hashlib.sha256(data).hexdigest(), allvar[2].id)
    assert tally.import_id == batch.id


def test_imported_tallies_keep_the_field_set_version_in_force(db, allvar):
    act, unit_id, _ = allvar
    _import(db, allvar, _csv([GOOD]))
    assert db.exec(select(Tally)).one().field_set_id == current_field_set(db, act, unit_id).id


def test_importing_the_same_file_twice_stores_nothing_the_second_time(db, allvar):
    data = _csv([GOOD, GOOD, GOOD])
    _import(db, allvar, data)
    again = _import(db, allvar, data, name="copy.csv")
    assert again.stored is None and again.already is not None
    assert _tallies(db) == 3


def test_one_invalid_row_stores_nothing(db, allvar):
    report = _import(db, allvar, _csv([GOOD, ["2025-03-15", "Tjej", "9", "Skola", "Polis"]]))
    assert report.stored is None
    assert _tallies(db) == 0


def test_an_age_outside_the_target_group_is_reported_with_its_row_in_swedish(db, allvar, app):
    rows = [GOOD] * 15 + [["2025-03-15", "Tjej", "9", "Skola", "Polis"]]
    with app.test_request_context(), force_locale("sv"):
        report = _check(db, allvar, _csv(rows))
        messages = [p.message for p in report.problems]
    assert messages == ["Rad 17: Ålder 9 ligger utanför målgruppen 13–21."]


def test_skip_invalid_stores_the_valid_rows_and_reports_the_others(db, allvar):
    bad = ["2025-03-15", "Pojke", "15", "Skola", "Polis"]
    report = _import(db, allvar, _csv([GOOD, bad, GOOD]), skip_invalid=True)
    assert (report.stored, report.invalid_rows) == (2, 1)
    assert [p.row for p in report.problems] == [3]
    assert db.exec(select(TallyImport)).one().skipped == 1


def test_a_count_column_makes_one_row_stand_for_that_many_tallies(db, allvar):
    rows = [GOOD + ["4"], ["2025-03-16", "Kille", "16", "Skola", "Polis", "0"]]
    report = _import(db, allvar, _csv(rows, HEADER + ["Antal"]))
    assert (report.stored, _tallies(db)) == (4, 4)


def test_columns_and_options_may_be_named_by_key_or_english_label(db, allvar):
    header = ["date", "gender_young", "Age", "problem_area", "Route in"]
    report = _import(db, allvar, _csv([["2025-01-02", "m", "13", "School", "police"]], header))
    assert report.stored == 1


def test_a_column_the_activity_lacks_is_refused_before_any_row(db, allvar):
    report = _check(db, allvar, _csv([GOOD + ["x"]], HEADER + ["Skonummer"]))
    assert [p.row for p in report.problems] == [None]
    assert report.rows == 0


def test_a_file_without_a_required_field_is_refused(db, allvar):
    report = _check(db, allvar, _csv([GOOD[:4]], HEADER[:4]))
    assert any("Väg in" in p.message for p in report.file_problems)


def test_a_date_in_the_future_is_a_row_error(db, allvar):
    report = _check(db, allvar, _csv([["2026-12-02"] + GOOD[1:]]))
    assert [p.row for p in report.problems] == [2]


def test_a_date_older_than_statistics_are_kept_is_a_row_error(db, allvar):
    report = _check(db, allvar, _csv([["2015-12-31"] + GOOD[1:]]))
    assert [p.row for p in report.problems] == [2]


def test_dates_years_back_are_accepted_beyond_the_composers_14_days(db, allvar):
    report = _import(db, allvar, _csv([["2016-01-01"] + GOOD[1:]]))
    assert report.stored == 1


def test_a_time_column_sets_the_time_and_without_it_the_tally_is_at_noon(db, allvar):
    from models.core.clock import LOCAL_TZ
    _import(db, allvar, _csv([GOOD + ["08:30"], GOOD + [""]], HEADER + ["Tid"]))
    times = sorted(t.occurred_at.astimezone(LOCAL_TZ).strftime("%H:%M")
                   for t in db.exec(select(Tally)))
    assert times == ["08:30", "12:00"]


def test_an_xlsx_sheet_with_real_date_cells_is_read(db, allvar):
    rows = [[date(2024, 6, 1), "Tjej", 15, "Skola", "Polis"]]
    report = _import(db, allvar, _xlsx(rows), name="pinnar.xlsx")
    assert report.stored == 1


def test_a_split_field_has_one_column_per_option(db, people):
    load_catalogue(db)
    act = activity(db, "faltare-gruppverksamhet")
    from models.catalogue import units_of_activity
    unit_id = units_of_activity(db, act.id)[0].id
    admin = people.user("ada", "admin")
    header = ["Datum", "Antal träffar", "Antal vuxna", "Antal barn och kön: Flickor",
              "children_by_gender.m"]
    report = import_file(db, admin, act, unit_id, _csv([["2025-05-05", "1", "2", "4", "3"]],
                                                       header), "grupp.csv", EARLIEST, TODAY)
    db.commit()
    split = {v.choice: v.count for v in db.exec(select(TallyValue).where(
        TallyValue.field_key == "children_by_gender"))}
    assert (report.stored, split) == (1, {"k": 4, "m": 3})


def test_a_thousand_rows_with_deliberate_errors_report_exactly_the_wrong_rows(db, allvar):
    rnd = random.Random(18)
    wrong, rows = set(), []
    breakers = [
        lambda r: r.__setitem__(2, str(rnd.choice([5, 9, 12, 22, 40]))),  # outside 13–21
        lambda r: r.__setitem__(1, "Pojke"),  # not an option
        lambda r: r.__setitem__(0, "2025-02-30"),  # no such day
        lambda r: r.__setitem__(0, "2027-01-01"),  # the future
        lambda r: r.__setitem__(4, ""),  # a required field empty
    ]
    for n in range(1000):
        day = date(2025, 1, 1) + timedelta(days=rnd.randrange(365))
        row = [day.isoformat(), rnd.choice(["Tjej", "Kille", "x"]), str(rnd.randint(13, 21)),
               rnd.choice(["Skola", "Kriminalitet", "annat"]), rnd.choice(["Polis", "Skola"])]
        if rnd.random() < 0.05:
            rnd.choice(breakers)(row)
            wrong.add(n + 2)
        rows.append(row)
    data = _csv(rows)
    report = _import(db, allvar, data)
    assert {p.row for p in report.problems} == wrong
    assert report.stored is None and _tallies(db) == 0
    fixed = _import(db, allvar, data, skip_invalid=True)
    assert fixed.stored == 1000 - len(wrong) == _tallies(db)


def test_a_file_that_is_not_a_spreadsheet_is_a_field_error(db, allvar):
    from models.core.errors import DomainError
    with pytest.raises(DomainError) as refused:
        _check(db, allvar, b"PK\x03\x04 broken zip", name="x.xlsx")
    assert refused.value.field == "file"


# --- the admin page ---------------------------------------------------------------------


def _target(allvar) -> str:
    act, unit_id, _ = allvar
    return f"{act.id}:{unit_id}"


def _upload(client, allvar, data, name="pinnar.csv", **extra):
    form = {"target": _target(allvar), "file": (io.BytesIO(data), name), **extra}
    return client.post("/tally/import", data=form, content_type="multipart/form-data")


def test_the_admin_checks_a_file_and_sees_each_wrong_row(client, people, allvar):
    people.login("ada")
    bad = ["2025-03-15", "Tjej", "9", "Skola", "Polis"]
    response = _upload(client, allvar, _csv([GOOD, bad]))
    assert response.status_code == 200
    assert texts(response, ".import-problems li") == [
        "Rad 3: Ålder 9 ligger utanför målgruppen 13–21."]
    assert soup(response).select_one("form[action='/tally/import/confirm']") is None


def test_the_admin_imports_a_checked_file_in_a_second_step(client, people, allvar, db):
    people.login("ada")
    checked = _upload(client, allvar, _csv([GOOD, GOOD]))
    form = soup(checked).select_one("form[action='/tally/import/confirm']")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    done = client.post("/tally/import/confirm", data=data)
    assert done.status_code == 200
    assert _tallies(db) == 2
    assert "2" in soup(done).select_one("#import-report [role=status]").get_text()


def test_a_confirm_without_a_checked_file_is_a_field_error_not_a_crash(client, people, allvar):
    people.login("ada")
    response = client.post("/tally/import/confirm", data={
        "target": _target(allvar), "sha256": "0" * 64})
    assert response.status_code == 422
    assert soup(response).select_one("#err-file") is not None


def test_an_upload_without_a_target_keeps_the_form_with_field_errors(client, people, allvar):
    people.login("ada")
    response = client.post("/tally/import", data={"file": (io.BytesIO(_csv([GOOD])), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert soup(response).select_one("#err-target") is not None


def test_a_broken_workbook_is_a_field_error(client, people, allvar):
    people.login("ada")
    response = _upload(client, allvar, b"PK\x03\x04 not really", name="x.xlsx")
    assert response.status_code == 422
    assert soup(response).select_one("#err-file") is not None


def test_staff_cannot_open_the_import_page(client, people, allvar, db):
    member = member_of(people, db, "faltare-allvarssamtal", "fia")
    people.login(member)
    assert client.get("/tally/import").status_code == 403


# --- the command ------------------------------------------------------------------------


def test_the_command_is_a_dry_run_until_confirmed(runner, db, allvar, tmp_path):
    act, unit_id, admin = allvar
    from models.access import Unit
    unit = db.get(Unit, unit_id)
    path = tmp_path / "pinnar.csv"
    path.write_bytes(_csv([GOOD, GOOD]))
    args = ["tallies", "import", str(path), "--activity", act.key, "--unit", unit.name,
            "--as", admin.username]
    dry = runner.invoke(args=args)
    assert dry.exit_code == 0, dry.output
    assert _tallies(db) == 0
    stored = runner.invoke(args=args + ["--confirm"])
    assert stored.exit_code == 0, stored.output
    db.expire_all()
    assert _tallies(db) == 2


def test_the_command_stores_nothing_and_fails_when_a_row_is_wrong(runner, db, allvar, tmp_path):
    act, unit_id, admin = allvar
    from models.access import Unit
    path = tmp_path / "pinnar.csv"
    path.write_bytes(_csv([GOOD, ["2025-03-15", "Tjej", "9", "Skola", "Polis"]]))
    result = runner.invoke(args=["tallies", "import", str(path), "--activity", act.key,
                                 "--unit", db.get(Unit, unit_id).name, "--as", admin.username,
                                 "--confirm"])
    assert result.exit_code == 1
    assert "Rad 3" in result.output
    assert _tallies(db) == 0


def test_a_count_outside_the_fields_bounds_is_a_row_error_naming_the_field(db, people, app):
    """Counts are checked as the composer checks them: Antal träffar is 1–10."""
    load_catalogue(db)
    act = activity(db, "faltare-gruppverksamhet")
    from models.catalogue import units_of_activity
    unit_id = units_of_activity(db, act.id)[0].id
    admin = people.user("ada", "admin")
    header = ["Datum", "Antal träffar", "Antal vuxna", "Antal barn och kön: Flickor",
              "children_by_gender.m"]
    rows = [["2025-05-05", "2", "1", "4", "3"], ["2025-05-06", "11", "1", "4", "3"]]
    with app.test_request_context(), force_locale("sv"):
        report = import_file(db, admin, act, unit_id, _csv(rows, header), "grupp.csv",
                             EARLIEST, TODAY)
        problems = [(p.row, p.message) for p in report.problems]
    db.commit()
    assert [row for row, _m in problems] == [3]
    assert "Antal träffar" in problems[0][1]
    assert report.stored is None and _tallies(db) == 0
