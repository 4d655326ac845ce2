"""A deleted row's id never comes back (issue 12): an old URL must not open a new contact,
and the access log must not mix two contacts. SQLite needs AUTOINCREMENT for that
(migration 0008); PostgreSQL's sequences never go back."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from sqlmodel import select

from models import notes
from models.journal.shift import add_phrase, delete_phrase
from tests.notes_helpers import build, new_uuid, valid_values
from views.cli import alembic_config


@pytest.fixture
def world(app, db, people):
    with app.test_request_context():
        yield build(db, people)


def _contact_with_a_note(world, pseudonym: str):
    contact = notes.open_contact(world.db, world.kim, world.rad, pseudonym)
    world.db.commit()
    talk, _created = notes.log_talk(world.db, world.kim, contact,
                                    valid_values(world.db, world.rad.key), "en anteckning",
                                    new_uuid())
    world.db.commit()
    return contact, talk


def test_a_new_contact_never_gets_the_id_of_a_shredded_one(world):
    _contact_with_a_note(world, "Grön 1")
    newest, talk = _contact_with_a_note(world, "Grön 2")
    shredded_contact, shredded_talk = newest.id, talk.id
    notes.end_contact(world.db, world.kim, newest)  # the newest: SQLite would reuse its id
    world.db.commit()
    fresh, fresh_talk = _contact_with_a_note(world, "Grön 3")
    assert fresh.id > shredded_contact
    assert fresh_talk.id > shredded_talk


def test_a_new_note_never_gets_the_id_of_a_shredded_one(world):
    contact, _talk = _contact_with_a_note(world, "Blå 1")
    shredded = _note_id(world, contact)
    notes.end_contact(world.db, world.kim, contact)
    world.db.commit()
    fresh, _talk = _contact_with_a_note(world, "Blå 2")
    assert _note_id(world, fresh) > shredded


def _note_id(world, contact) -> int:
    return world.db.exec(select(notes.WorkingNote.id).where(
        notes.WorkingNote.contact_id == contact.id)).one()


def test_a_new_quick_phrase_never_gets_the_id_of_a_deleted_one(world):
    unit = world.people.unit("Mötesplatsen")
    deleted = add_phrase(world.db, unit, "Ringde, inget svar")
    deleted_id = deleted.id
    delete_phrase(world.db, deleted)
    world.db.commit()
    assert add_phrase(world.db, unit, "Besök enligt plan").id > deleted_id


OLD_ROWS = """
    INSERT INTO app_user (id, username, display_name, password_hash, role, active, created_at)
        VALUES (1, 'kim', 'Kim', 'x', 'staff', 1, '2026-01-01');
    INSERT INTO unit (id, name, created_at) VALUES (1, 'Mötesplatsen', '2026-01-01');
    INSERT INTO activity (id, key, name, target_group, level, note, position, active,
                          updated_at)
        VALUES (1, 'rad', 'Råd och stöd', '', 'individual', '', 1, 1, '2026-01-01');
    INSERT INTO field_set (id, activity_id, version, base, digest, created_at)
        VALUES (1, 1, 1, 1, 'd', '2026-01-01');
    INSERT INTO tally (id, client_uuid, activity_id, unit_id, user_id, field_set_id,
                       occurred_at, created_at)
        VALUES (1, '0123456789abcdef0123456789abcdef', 1, 1, 1, 1, '2026-01-01', '2026-01-01');
    INSERT INTO working_contact (id, owner_id, activity_id, unit_id, pseudonym, created_at)
        VALUES (7, 1, 1, 1, 'Grön 7', '2026-01-01');
    INSERT INTO contact_talk (id, contact_id, tally_id, created_at)
        VALUES (3, 7, 1, '2026-01-01');
    INSERT INTO working_note (id, contact_id, talk_id, text, written_at)
        VALUES (5, 7, 3, 'kvar efter migreringen', '2026-01-01');
"""


def test_the_migration_keeps_every_working_note_and_its_links(tmp_path):
    path = tmp_path / "old.db"
    cfg = alembic_config(f"sqlite:///{path}")
    command.upgrade(cfg, "0007")
    with sqlite3.connect(path) as con:
        con.executescript(OLD_ROWS)
    command.upgrade(cfg, "heads")  # refers to rows in the recreated tables: must not fail
    with sqlite3.connect(path) as con:
        note = con.execute("SELECT n.text, t.contact_id FROM working_note n "
                           "JOIN contact_talk t ON t.id = n.talk_id WHERE n.id = 5").fetchone()
        assert note == ("kvar efter migreringen", 7)
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        con.execute("DELETE FROM working_note")
        con.execute("DELETE FROM contact_talk")
        con.execute("DELETE FROM working_contact")
        con.execute("INSERT INTO working_contact (owner_id, activity_id, unit_id, pseudonym, "
                    "created_at) VALUES (1, 1, 1, 'Grön 8', '2026-01-02')")
        assert con.execute("SELECT id FROM working_contact").fetchone() == (8,)
