"""ids are never reused: AUTOINCREMENT for the tables whose rows are deleted

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:05:00.000000

Issue 12: SQLite gives a new row the highest id + 1, so after the newest working contact
was shredded the next one got its id: an old URL opened the new contact, and both shared
access-log rows. With AUTOINCREMENT SQLite never hands out an id again (it keeps the
highest ever used in `sqlite_sequence`). That needs the keyword in CREATE TABLE, so each
table is recreated (batch mode copies the rows, ids kept). PostgreSQL's sequences never
go back, so nothing changes there.

Tables: every one whose rows are hard-deleted — working contacts, their talks and notes
(shredded, seed 000) and the units' quick phrases. Link tables keyed by the two ids they
link (membership, activity_unit, unit_option_list) have no id of their own to reuse.
"""

from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# children before parents is not needed (foreign keys are off while migrating, env.py)
TABLES = ("working_contact", "contact_talk", "working_note", "quick_phrase")


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TABLES:
        with op.batch_alter_table(name, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
