"""A submission id (client UUID) names one entry (issue 12): a retry with the same values
gets the stored one (200), a different entry under the same id is refused with 422 and
a translated message, and the stored entry stays as it was (IETF Idempotency-Key draft)."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from models.journal.tables import JournalEntry
from models.tally import Tally, values_of
from tests.conftest import soup
from tests.journal_helpers import make_home
from tests.tally_helpers import CASES, activity, load_catalogue, member_of

OUTBOX = {"X-Nara-Outbox": "1", "HX-Request": "true"}
HX = {"HX-Request": "true", "HX-Request-Type": "partial"}
REUSED = "Inskickningens id har redan använts för en annan post, så den här sparades inte."
KEY = "faltare-allvarssamtal"


def tally_form(values: dict, client_uuid: str) -> dict:
    form: dict = {"client_uuid": client_uuid}
    for key, value in values.items():
        if isinstance(value, dict):
            form.update({f"{key}.{code}": str(n) for code, n in value.items()})
        else:
            form[key] = value if isinstance(value, list) else str(value)
    return form


@pytest.fixture
def fia(db, people):
    load_catalogue(db)
    user = member_of(people, db, KEY, "fia")
    people.login(user)
    return user


@pytest.fixture
def stored(client, db, fia):
    """A tally saved through the outbox: (activity, its form, the response)."""
    act = activity(db, KEY)
    form = tally_form(CASES[KEY][0], str(uuid.uuid4()))
    response = client.post(f"/activities/{act.id}/tallies", data=form, headers=OUTBOX)
    assert response.status_code == 201
    return act, form


def _stored_values(db) -> list[dict]:
    db.expire_all()
    tallies = db.exec(select(Tally)).all()
    return list(values_of(db, tallies).values())


def test_a_tally_resent_with_the_same_values_gets_the_stored_one(client, db, stored):
    act, form = stored
    again = client.post(f"/activities/{act.id}/tallies", data=form, headers=OUTBOX)
    assert again.status_code == 200
    assert again.headers["X-Nara-Tally"] == str(db.exec(select(Tally.id)).one())


def test_a_tally_resent_with_other_values_is_refused_and_the_first_stays(client, db, stored):
    act, form = stored
    changed = form | {"gender_young": "m", "route_in": "skola"}
    response = client.post(f"/activities/{act.id}/tallies", data=changed, headers=OUTBOX)
    assert response.status_code == 422
    assert response.headers["X-Nara-Outcome"] == "reused"
    assert soup(response).select_one("#err-client_uuid").text.strip() == REUSED
    assert [v["gender_young"] for v in _stored_values(db)] == ["k"]


def test_a_submission_id_reused_for_another_activity_is_refused(client, db, stored):
    _act, form = stored
    other = activity(db, "faltare-gruppverksamhet")  # fia's unit logs it too
    data = tally_form(CASES[other.key][0], form["client_uuid"])
    response = client.post(f"/activities/{other.id}/tallies", data=data, headers=OUTBOX)
    assert (response.status_code, response.headers.get("X-Nara-Outcome")) == (422, "reused")
    assert len(_stored_values(db)) == 1


def test_a_submission_id_of_someone_else_is_refused(app, db, people, stored):
    act, form = stored
    colleague = app.test_client()
    people.login(member_of(people, db, KEY, "kim"), colleague)
    response = colleague.post(f"/activities/{act.id}/tallies", data=form, headers=OUTBOX)
    assert response.status_code == 422
    assert soup(response).select_one("#err-client_uuid").text.strip() == REUSED


def test_without_javascript_the_message_comes_with_a_fresh_submission_id(client, db, stored):
    act, form = stored
    changed = form | {"gender_young": "m"}
    response = client.post(f"/activities/{act.id}/tallies", data=changed)
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#composer #err-client_uuid").text.strip() == REUSED
    fresh = page.select_one('#composer input[name="client_uuid"]')["value"]
    assert fresh != form["client_uuid"]


# --- journal notes ----------------------------------------------------------------------


@pytest.fixture
def home(people):
    home = make_home(people)
    people.login(home.hanna)
    return home


def _note(home, text: str, client_uuid: str) -> dict:
    return {"assignment": home.assignment.id, "category": "action", "when": "now",
            "text": text, "client_uuid": client_uuid}


def _notes(db) -> list[str]:
    db.expire_all()
    return [e.text for e in db.exec(select(JournalEntry).where(
        JournalEntry.category == "action"))]


def test_a_note_resent_with_the_same_text_gets_the_stored_one(client, db, home):
    data = _note(home, "Besöket gick bra.", str(uuid.uuid4()))
    headers = HX | {"X-Nara-Draft": "1"}
    first = client.post(f"/journal/{home.client.id}/entries", data=data, headers=headers)
    again = client.post(f"/journal/{home.client.id}/entries", data=data, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert soup(first).select_one("li")["id"] == soup(again).select_one("li")["id"]
    assert _notes(db) == ["Besöket gick bra."]


def test_a_note_resent_with_other_text_is_refused_and_the_typed_text_kept(client, db, home):
    same_id = str(uuid.uuid4())
    headers = HX | {"X-Nara-Draft": "1"}
    client.post(f"/journal/{home.client.id}/entries",
                data=_note(home, "Besöket gick bra.", same_id), headers=headers)
    response = client.post(f"/journal/{home.client.id}/entries",
                           data=_note(home, "Något helt annat.", same_id), headers=headers)
    assert response.status_code == 422
    composer = soup(response).select_one("#composer")
    assert composer.select_one("#err-form").text.strip() == REUSED
    assert composer.select_one("textarea[name=text]").text == "Något helt annat."
    assert composer.select_one('input[name="client_uuid"]')["value"] != same_id
    assert _notes(db) == ["Besöket gick bra."]
