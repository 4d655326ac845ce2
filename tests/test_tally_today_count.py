"""The saved bubble's "n i dag" (issue 15 §1) comes back with the tally's INSERT (issue 16:
one statement fewer per save) and is the count the thread shows."""

from __future__ import annotations

from tests.conftest import soup
from tests.tally_helpers import CASES, activity
from tests.test_tally_thread import save
from tests.test_tally_views import OUTBOX, form_of


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
