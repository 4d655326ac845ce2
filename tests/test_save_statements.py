"""What a save costs the database, counted (issue 16): a deterministic measure of the work per
request that timing on a shared machine is not. Each test fails if a save issues more SQL
statements than it does today; a change that needs one more says why here."""

from __future__ import annotations

import uuid

from tests.journal_helpers import make_home
from tests.sql_helpers import statements
from tests.tally_helpers import (
    CASES,
    activity,
)

# Tally save: the session with its user, the activity with the user's responsible units and
# their field sets (one statement), the tally (INSERT … ON CONFLICT … RETURNING, which also
# returns today's count for "Sparad · 4 i dag"), its values (one executemany), and the
# day's counts for statistics (one INSERT … ON CONFLICT DO UPDATE of a row per value,
# models/tally/daily.py: the statistics read them instead of every value row, issue 16 §3).
TALLY_SAVE = ["SELECT", "SELECT", "INSERT", "INSERT", "INSERT"]
# Journal save: the session with its user, the client with whether the person is assigned
# to it today (one statement, which the access check answers from), the access-log row
# (flushed before anything is read: it fails closed), the assignment, the entry itself
# (INSERT … ON CONFLICT DO NOTHING: a client UUID already stored is read only then).
JOURNAL_SAVE = 5


def _tally_form(values: dict) -> dict:
    data = {"client_uuid": str(uuid.uuid4())}
    for key, value in values.items():
        if isinstance(value, dict):
            data.update({f"{key}.{code}": str(n) for code, n in value.items()})
        else:
            data[key] = value if isinstance(value, list) else str(value)
    return data


def test_a_tally_save_from_the_outbox_costs_five_statements(app, client, db, fia):
    act = activity(db, "faltare-allvarssamtal")
    valid = CASES["faltare-allvarssamtal"][0]
    headers = {"X-Nara-Outbox": "1", "HX-Request": "true"}
    client.post(f"/activities/{act.id}/tallies", data=_tally_form(valid), headers=headers)
    with statements(app.extensions["nara_engine"]) as seen:
        response = client.post(f"/activities/{act.id}/tallies", data=_tally_form(valid),
                               headers=headers)
    assert response.status_code == 201
    assert [statement.split()[0].upper() for statement in seen] == TALLY_SAVE, "\n".join(seen)


def test_a_journal_save_with_its_access_log_costs_five_statements(app, client, people):
    home = make_home(people)
    people.login(home.hanna)
    headers = {"HX-Request": "true", "HX-Request-Type": "partial"}

    def note():
        return {"assignment": home.assignment.id, "category": "action", "when": "now",
                "text": "Besöket genomfört enligt plan.", "client_uuid": str(uuid.uuid4())}

    client.post(f"/journal/{home.client.id}/entries", data=note(), headers=headers)
    with statements(app.extensions["nara_engine"]) as seen:
        response = client.post(f"/journal/{home.client.id}/entries", data=note(),
                               headers=headers)
    assert response.status_code == 200
    assert len(seen) <= JOURNAL_SAVE, "\n".join(seen)
