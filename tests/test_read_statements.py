"""What reading a client's thread costs the database, counted (issue 16): the number of SQL
statements is fixed, whatever the number of notes, so a bubble that loads something of its
own (an author, a goal, a correction, a reader) cannot slip in. Timing belongs in
bench/journal.py; a count is the same on a busy machine. A change that needs one more
statement says why here."""

from __future__ import annotations

import re
from datetime import timedelta

from models.core.clock import local_today
from models.journal.entries import add_entry, correct_entry, record_disagreement
from models.journal.people import assign_staff
from models.journal.plans import current_goals, follow_up_plan
from models.journal.shift import mark_read
from tests.journal_helpers import make_home
from tests.sql_helpers import statements

# A thread read by the client's staff: the session with its user, the client, the access
# check, the access-log row (committed before anything is shown), the notes with their
# authors, the assignments, the goals the notes are about, the follow-ups' outcomes, the
# thread's read mark (read, then update), the open assignments, the plan, its goals, the
# unit's quick phrases.
THREAD_READ = 14
# A manager is checked once more (may they see read receipts?) and sees who has read each
# note: the readers with how far each has read.
THREAD_READ_MANAGER = THREAD_READ + 2


def _write(db, home, rounds: int) -> None:
    """Notes of every kind a bubble shows something of its own for: by two authors, about a
    goal, corrected, disputed, a plan follow-up with its outcomes, read by a colleague."""
    in_a_month = (local_today() + timedelta(days=30)).isoformat()
    for i in range(rounds):
        goals = current_goals(db, home.assignment)  # a follow-up makes a new plan version
        for author in (home.hanna, home.hugo):
            entry, _ = add_entry(db, author, home.client, home.assignment.id, "action",
                                 f"Besök {i}: duschade med stöd.", goal_id=goals[i % 2].id)
        correct_entry(db, home.hanna, entry, f"Rättelse {i}: duschade själv.")
        record_disagreement(db, home.hanna, entry, f"Astrid håller inte med ({i}).")
        follow_up_plan(db, home.hanna, home.assignment,
                       {g.key: f"Framsteg {i}" for g in goals}, in_a_month)
        mark_read(db, home.hugo, home.client, entry.id)
    db.commit()


def _read(app, client, home) -> tuple[list[str], str]:
    client.get(f"/journal/{home.client.id}")  # the session as on any later read
    with statements(app.extensions["nara_engine"]) as seen:
        response = client.get(f"/journal/{home.client.id}")
    assert response.status_code == 200
    return seen, response.get_data(as_text=True)


def _bubbles(page: str) -> int:
    return len(re.findall(r'<li class="bubble entry [^"]*" id="entry-\d+"', page))


def _reads_of_7_and_52_notes(app, client, people, db, reader: str):
    """(statements, page) for a thread of 7 notes, then for the same thread with 52 (the
    consent's and the plan's notes, then five per round)."""
    home = make_home(people)
    assign_staff(db, home.client, home.hugo, local_today() - timedelta(days=30))
    _write(db, home, 1)
    people.login(getattr(home, reader))
    few = _read(app, client, home)
    _write(db, home, 9)
    many = _read(app, client, home)
    assert (_bubbles(few[1]), _bubbles(many[1])) == (7, 52)
    return few, many


def test_reading_a_thread_costs_the_same_statements_for_7_notes_and_for_52(
        app, client, people, db):
    (few, _), (many, _) = _reads_of_7_and_52_notes(app, client, people, db, "hanna")
    assert len(many) == len(few), "\n".join(many)
    assert len(few) <= THREAD_READ, "\n".join(few)


def test_a_manager_sees_who_read_each_note_for_two_statements_more_whatever_the_length(
        app, client, people, db):
    (few, _), (many, page) = _reads_of_7_and_52_notes(app, client, people, db, "maja")
    assert 'class="read-by"' in page
    assert len(many) == len(few), "\n".join(many)
    assert len(few) <= THREAD_READ_MANAGER, "\n".join(few)
