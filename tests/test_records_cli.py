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
THIRD_PARTY = "Grannen Åke Öberg"
NAMES = ("Femton", "Arkivsson", "Sexton", "Gallring", "Hållen", "19400515", "19400516",
         "19400525", MARKER)


@pytest.fixture
def files(app, db, people, clock, tmp_path):
    app.config["RECORDS_ARCHIVE_DIR"] = str(tmp_path / "archive")
    unit = people.unit("Hemtjänst Arkiv")
    hanna = people.user("hanna", units=[unit])
    officer = people.user("arkiv", "records")
    with app.test_request_context():
        born_15 = old_file(db, clock, unit, hanna, "Femton Arkivsson", NUMBERS[15],
                           text=f"Besök gjort. {THIRD_PARTY} hjälpte till.")
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
    path = Path(url[len("sqlite:///"):])
    files_of = (path, Path(f"{path}-wal"))
    assert any(MARKER.encode() in f.read_bytes() for f in files_of if f.exists())  # before
    _run(runner, "run", "--year", _year(), "--confirm")
    for name in files_of:
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


# --- the audit's additions: the package checked without the code that writes it, the whole
# file in it, nothing of a destroyed file left in any table, no name in the log ---------


def _package(files):
    (folder,) = [p for p in files["archive"].iterdir()]
    return folder


def test_the_package_lists_every_file_with_its_own_sha256_and_size_and_objid(runner, files):
    """Read with lxml and hashlib only: OBJID is the folder's name, and the files METS.xml
    lists are exactly the files beside it, each with its SHA-256 and size."""
    import hashlib

    _run(runner, "run", "--year", _year(), "--confirm")
    folder = _package(files)
    ns = {"mets": archive.METS, "xlink": archive.XLINK}
    root = etree.parse(str(folder / "METS.xml")).getroot()
    assert root.get("OBJID") == folder.name
    listed = {}
    for el in root.xpath("//mets:file | //mets:mdRef", namespaces=ns):
        loc = el if el.tag.endswith("mdRef") else el.find("mets:FLocat", ns)
        listed[loc.get(f"{{{archive.XLINK}}}href")] = (el.get("CHECKSUM"), int(el.get("SIZE")))
    present = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    assert set(listed) == set(present) - {"METS.xml"}
    for name, (checksum, size) in listed.items():
        data = present[name].read_bytes()
        assert (checksum, size) == (hashlib.sha256(data).hexdigest(), len(data)), name


def test_the_package_holds_the_whole_file_even_what_a_secrecy_review_withheld(
        runner, files, db, people):
    """The archive receives everything: a passage withheld from the person's copy is in
    the package's PDF/A and in its entries."""
    import io
    import json

    from pypdf import PdfReader

    from models.journal.tables import JournalEntry
    from models.records import right_to_read as rtr

    maja = people.user("maja", "manager", [db.get(Unit, files["unit"])])
    client = db.get(Client, files["15"])
    entry_id = db.exec(select(JournalEntry.id).where(
        JournalEntry.client_id == client.id, JournalEntry.category == "action")).one()
    rtr.withhold(db, maja, rtr.open_review(db, maja, client), entry_id, THIRD_PARTY,
                 "Tredje man")
    db.commit()
    _run(runner, "run", "--year", _year(), "--confirm")
    folder = _package(files)
    pdf = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(
        io.BytesIO((folder / archive.PDF).read_bytes())).pages)
    assert "Femton Arkivsson" in pdf and THIRD_PARTY in pdf
    assert "Uppgift utelämnad" not in pdf
    entries = json.loads((folder / archive.ENTRIES).read_text("utf-8"))["entries"]
    assert any(THIRD_PARTY in e["text"] for e in entries)


def test_no_table_keeps_a_row_of_the_destroyed_file(runner, files, db, people):
    """Every table that points at a client (holds, secrecy reviews and released copies
    too) has no row of the day-16 file after the run, and its text is nowhere."""
    from sqlalchemy import String, Text, func, or_
    from sqlmodel import SQLModel

    from models.journal.tables import JournalEntry
    from models.records import right_to_read as rtr

    maja = people.user("maja", "manager", [db.get(Unit, files["unit"])])
    client = db.get(Client, files["16"])
    entry_id = db.exec(select(JournalEntry.id).where(
        JournalEntry.client_id == client.id, JournalEntry.category == "action")).one()
    review = rtr.open_review(db, maja, client)
    rtr.withhold(db, maja, review, entry_id, "", "Tredje man")
    rtr.release(db, maja, review, "Sexton själv", b"%PDF-1.7 " + MARKER.encode())
    retention.lift_hold(db, maja, retention.set_hold(db, maja, client, "Utlämnat, klart"))
    db.commit()
    _run(runner, "run", "--year", _year(), "--confirm")
    db.expire_all()
    kept = {}
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "client" for fk in column.foreign_keys):
                kept[table.name] = db.execute(select(func.count()).select_from(table).where(
                    column == files["16"])).scalar()
            if isinstance(column.type, (String, Text)):
                hits = db.execute(select(func.count()).select_from(table).where(or_(
                    column.contains(MARKER), column.contains("Sexton Gallring")))).scalar()
                assert hits == 0, f"{table.name}.{column.name}"
    assert {"assignment", "journal_entry", "reading_review", "reading_release",
            "legal_hold"} <= set(kept)
    assert set(kept.values()) == {0}, kept


def test_the_destruction_log_and_the_runs_output_name_no_one(runner, files, db):
    output = _run(runner, "run", "--year", _year(), "--confirm")
    rows = [*db.exec(select(retention.DestructionRun)), *db.exec(
        select(retention.DestructionLog)), *db.exec(select(retention.ArchivedPackage))]
    text = output + " ".join(str(v) for r in rows for v in r.model_dump().values())
    assert rows and [n for n in NAMES if n in text] == []


def test_a_package_that_fails_its_verification_destroys_nothing_and_the_run_says_so(
        runner, files, db, monkeypatch):
    """The package is written, then one byte of it changes before it is verified."""
    written = retention.write_package

    def corrupted(*args, **kwargs):
        folder = written(*args, **kwargs)
        path = folder / archive.ENTRIES
        path.write_bytes(path.read_bytes().replace(b"{", b"[", 1))
        return folder

    monkeypatch.setattr(retention, "write_package", corrupted)
    result = runner.invoke(args=["records", "run", "--year", _year(), "--confirm"])
    assert result.exit_code != 0 and "ingenting har gallrats" in result.output
    assert "does not match its checksum" in result.output
    db.expire_all()
    assert all(db.get(Client, files[k]) is not None for k in ("15", "16", "held"))
    assert db.exec(select(retention.DestructionRun)).all() == []
    assert not files["archive"].exists() or list(files["archive"].iterdir()) == []


def test_plan_lists_the_files_to_the_records_officer_and_logs_each(runner, files, db):
    from models.access import AccessLog

    output = _run(runner, "plan", "--year", _year(), "--files", "--as", "arkiv")
    assert "19400516-0009 Sexton Gallring" in output
    logged = db.exec(select(AccessLog.subject_id).where(
        AccessLog.action == "records.plan")).all()
    assert sorted(logged) == sorted([files["15"], files["16"], files["held"]])


def test_plan_refuses_to_list_files_to_anyone_but_the_records_officer(runner, files):
    result = runner.invoke(args=["records", "plan", "--year", _year(), "--files",
                                 "--as", "hanna"])
    assert result.exit_code != 0 and "Sexton" not in result.output
