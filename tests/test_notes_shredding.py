"""Shredding really destroys: no row, no query, no byte in the SQLite file or its WAL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import String, Text, or_, select
from sqlmodel import SQLModel

from models import notes
from tests.notes_helpers import build, new_uuid, random_letters, valid_values


@pytest.fixture
def world(app, db, people):
    with app.test_request_context():
        yield build(db, people)


def _marker() -> str:
    return f"MARKER{random_letters()}"


def _found_by_any_query(db, marker: str) -> list[str]:
    """Every text column of every table, searched for the marker."""
    hits = []
    for table in SQLModel.metadata.sorted_tables:
        text_columns = [c for c in table.columns
                        if isinstance(getattr(c.type, "impl", c.type), String | Text)]
        if not text_columns:
            continue
        stmt = select(table).where(or_(*[c.contains(marker) for c in text_columns]))
        if db.execute(stmt).first() is not None:
            hits.append(table.name)
    return hits


def _database_files(app) -> list[Path]:
    path = Path(app.config["DATABASE_URL"][len("sqlite:///"):])
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def _bytes_found(app, marker: str) -> list[str]:
    return [p.name for p in _database_files(app) if marker.encode() in p.read_bytes()]


def _contact_with_notes(world, pseudonym: str, note: str):
    contact = notes.open_contact(world.db, world.kim, world.rad, pseudonym)
    world.db.commit()
    for number in range(3):
        notes.log_talk(world.db, world.kim, contact, valid_values(world.db, world.rad.key),
                       f"{note} samtal {number}", new_uuid())
        world.db.commit()
    return contact


def test_ended_contact_is_found_by_no_query(world):
    marker = _marker()
    contact = _contact_with_notes(world, "Blå 7", marker)
    # the check can fail: before shredding it finds the note and the pseudonym
    assert _found_by_any_query(world.db, marker) == ["working_note"]
    assert _found_by_any_query(world.db, "Blå 7") == ["working_contact"]
    notes.end_contact(world.db, world.kim, contact)
    world.db.commit()
    assert _found_by_any_query(world.db, marker) == []
    assert _found_by_any_query(world.db, "Blå 7") == []


def test_ended_contacts_notes_and_pseudonym_are_not_in_the_sqlite_file_or_wal(app, world):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("bytes on disk: SQLite only (PostgreSQL reclaims rows by vacuum)")
    marker, pseudonym = _marker(), "Q" + random_letters()[:12]
    contact = _contact_with_notes(world, pseudonym, marker)
    assert _bytes_found(app, marker), "the note should be on disk before shredding"
    assert _bytes_found(app, pseudonym)
    notes.end_contact(world.db, world.kim, contact)
    world.db.commit()
    assert notes.wipe_freed_pages(world.db)
    assert _bytes_found(app, marker) == []
    assert _bytes_found(app, pseudonym) == []


def test_idle_shredding_leaves_no_bytes_either(app, world):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("bytes on disk: SQLite only")
    from datetime import timedelta

    from models.core.db import utcnow

    marker = _marker()
    contact = _contact_with_notes(world, "Grön 3", marker)
    logs = notes.shred_idle(world.db, utcnow() + timedelta(days=200))
    world.db.commit()
    assert [log.notes for log in logs] == [3]
    assert notes.wipe_freed_pages(world.db)
    assert world.db.get(notes.WorkingContact, contact.id) is None
    assert _bytes_found(app, marker) == []


def test_the_wal_checkpoint_is_what_removes_the_old_pages(app, world):
    """Without the checkpoint the WAL still holds the note: the wipe is not decoration."""
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite only")
    marker = _marker()
    contact = _contact_with_notes(world, "Lila 4", marker)
    notes.end_contact(world.db, world.kim, contact)
    world.db.commit()
    assert _bytes_found(app, marker), "expected the old page in the WAL before the checkpoint"
    notes.wipe_freed_pages(world.db)
    assert _bytes_found(app, marker) == []


def test_sqlite_runs_with_secure_delete(app):
    engine = app.extensions["nara_engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_control_without_secure_delete_the_bytes_would_survive(tmp_path):
    """The byte search can fail: with secure_delete off, a deleted note stays in the file."""
    import sqlite3

    marker = _marker()
    path = tmp_path / "control.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA secure_delete=OFF")
    con.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
    con.executemany("INSERT INTO note (text) VALUES (?)", [(f"{marker} {i}",) for i in range(3)])
    con.commit()
    con.execute("DELETE FROM note")
    con.commit()
    con.close()
    assert marker.encode() in path.read_bytes()
