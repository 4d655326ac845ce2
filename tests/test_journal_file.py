"""The whole file of a client, assembled once (the right to read, and later the archive)."""

from __future__ import annotations

import pytest

from models.journal.entries import add_entry
from models.journal.file import whole_file
from tests.journal_helpers import make_home


@pytest.fixture
def home(people):
    return make_home(people)


def test_the_whole_file_holds_the_assignment_plan_consent_staff_and_entries(db, home):
    add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Besök enligt plan.")
    db.commit()
    file = whole_file(db, home.client)
    assert [a.id for a in file.assignments] == [home.assignment.id]
    ((plan, goals),) = file.plans[home.assignment.id]
    assert {g.goal for g in goals} == {"Duscha själv", "Laga frukost"}
    assert len(file.consents) == 1
    assert [s.user_id for s in file.staff] == [home.hanna.id]
    assert any(v.entry.text == "Besök enligt plan." for v in file.entries)
