"""What a tally save asks the database (issue 16): the count of today's tallies comes back
with the INSERT, and it is the same count the thread shows."""

from __future__ import annotations

from tests.conftest import soup
from tests.sql_helpers import statements
from tests.tally_helpers import CASES, activity
from tests.test_tally_thread import save
from tests.test_tally_views import OUTBOX, form_of


def _kinds(seen: list[str]) -> list[str]:
    return [statement.split()[0].upper() for statement in seen]


def test_an_outbox_save_is_four_statements_with_the_count_in_its_insert(app, client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    save(client, a)
    with statements(app.extensions["nara_engine"]) as seen:
        second = save(client, a)
    # the session, the activity with the person's units, the tally, its values
    assert _kinds(seen) == ["SELECT", "SELECT", "INSERT", "INSERT"]
    assert soup(second).select_one("#tally-today")["data-count"] == "2"


def test_the_count_after_a_save_leaves_out_an_undone_tally(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    save(client, a)
    undone = save(client, a).headers["X-Nara-Tally"]
    client.post(f"/tallies/{undone}/undo", headers={"HX-Request": "true"})
    third = save(client, a)
    assert soup(third).select_one("#tally-today")["data-count"] == "2"
    page = soup(client.get(f"/activities/{a.id}"))
    assert page.select_one("#saved-status")["data-today"] == "2"


def test_a_retry_answers_with_the_same_count(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    save(client, a)
    data = form_of(CASES[a.key][0])
    first = client.post(f"/activities/{a.id}/tallies", data=data, headers=OUTBOX)
    again = client.post(f"/activities/{a.id}/tallies", data=data, headers=OUTBOX)
    assert (first.status_code, again.status_code) == (201, 200)
    assert soup(again).select_one("#tally-today")["data-count"] == "2"
