"""`flask records plan` → `flask records run`: the yearly routine end to end (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from sqlmodel import select

from models.access import Unit
from models.core.clock import local_today
from models.journal.tables import Assignment, Client, DestroyedFile, JournalEntry
from models.records import archive, retention
from tests.records_helpers import NUMBERS, mets_schema, old_file

MARKER = "GALLRAS-MARKER-7731"


@pytest.fixture
def files(app, db, people, clock, tmp_path):
    app.config["RECORDS_ARCHIVE_DIR"] = str(tmp_path / "archive")
    unit = people.unit("Hemtjänst Arkiv")
    hanna = people.user("hanna", units=[unit])
    officer = people.user("arkiv", "records")
    with app.test_request_context():
        born_15 = old_file(db, clock, unit, hanna, "Femton Arkivsson", NUMBERS[15])
        born_16 = old_file(db, clock, unit, hanna, "Sexton Gallring", NUMBERS[16], text=MARKER)
        held = old_file(db, clock, unit, hanna, "Hållen Kvar", NUMBERS[25].replace("25", "25"))
    retention.set_hold(db, officer, held, "Begäran om utlämnande")
    db.commit()
    return {"15": born_15.id, "16": born_16.id, "held": held.id, "unit": unit.id,
            "archive": tmp_path / "archive"}


def _run(runner, *args):
    result = runner.invoke(args=["records", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _year() -> str:
    return str(local_today().year)


def test_plan_prints_counts_per_unit_and_no_names(runner, files):
    output = _run(runner, "plan", "--year", _year())
    assert "Hemtjänst Arkiv: 3 due, 1 to archive, 1 held, 2 to destroy" in output
    assert "Sexton" not in output


def test_run_without_confirm_changes_nothing(runner, files, db):
    output = _run(runner, "run", "--year", _year())
    assert "Dry run" in output
    assert db.get(Client, files["16"]) is not None


def test_run_deletes_the_day_16_file_rows(runner, files, db):
    _run(runner, "run", "--year", _year(), "--confirm")
    db.expire_all()
    assert db.get(Client, files["16"]) is None
    assert db.exec(select(JournalEntry).where(JournalEntry.client_id == files["16"])).all() == []
    assert db.exec(select(Assignment).where(Assignment.client_id == files["16"])).all() == []
    assert db.get(DestroyedFile, files["16"]).unit_id == files["unit"]


def test_run_leaves_no_marker_in_the_sqlite_files(runner, files, app):
    url = app.config["DATABASE_URL"]
    if not url.startswith("sqlite"):
        pytest.skip("PostgreSQL reclaims deleted rows by vacuum")
    _run(runner, "run", "--year", _year(), "--confirm")
    path = Path(url[len("sqlite:///"):])
    for name in (path, Path(f"{path}-wal")):
        if name.exists():
            assert MARKER.encode() not in name.read_bytes(), name


def test_run_puts_the_day_15_file_in_a_package_that_validates(runner, files, db):
    output = _run(runner, "run", "--year", _year(), "--confirm")
    (folder,) = [p for p in files["archive"].iterdir()]
    assert f"package {folder.name}" in output
    mets = etree.parse(str(folder / "METS.xml"))
    mets_schema().assertValid(mets)
    assert archive.verify_package(folder)
    assert db.get(Client, files["15"]) is None


def test_run_keeps_the_held_file_untouched(runner, files, db):
    _run(runner, "run", "--year", _year(), "--confirm")
    db.expire_all()
    assert db.get(Client, files["held"]) is not None
    assert len(db.exec(select(JournalEntry).where(
        JournalEntry.client_id == files["held"])).all()) == 2  # the entry and the closing


def test_the_destruction_log_has_counts_and_package_ids_only(runner, files, db):
    _run(runner, "run", "--year", _year(), "--confirm")
    (log,) = db.exec(select(retention.DestructionLog)).all()
    assert (log.files, log.archived, log.entries, log.assignments) == (2, 1, 4, 2)
    assert log.kind == "sol" and log.unit_id == files["unit"]
    (package,) = db.exec(select(retention.ArchivedPackage)).all()
    assert (files["archive"] / package.package_id).is_dir()
    assert db.get(Unit, files["unit"]).name == "Hemtjänst Arkiv"
