"""Tally capture over HTTP: the thread page, saving with and without the outbox,
exactly-once retries, validation at the field, undo, correction, the offline catalogue."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from models.core.db import utcnow
from models.tally import Tally, record_tally, values_of
from tests.conftest import html_text
from tests.tally_helpers import CASES, activity, load_catalogue, member_of

OUTBOX = {"X-Nara-Outbox": "1", "HX-Request": "true"}


@pytest.fixture
def fia(db, people):
    load_catalogue(db)
    user = member_of(people, db, "faltare-allvarssamtal", "fia")
    people.login(user)
    return user


def form_of(values: dict, client_uuid: str | None = None) -> dict:
    data: dict = {"client_uuid": client_uuid or str(uuid.uuid4())}
    for key, value in values.items():
        if isinstance(value, dict):
            data.update({f"{key}.{code}": str(n) for code, n in value.items()})
        elif isinstance(value, list):
            data[key] = value
        else:
            data[key] = str(value)
    return data


def count(db, model=Tally) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def test_activity_page_shows_a_chip_per_option_and_defaults_preselected(client, db, people):
    load_catalogue(db)
    people.login(member_of(people, db, "familjecentral-enskilda-samtal", "kim"))
    a = activity(db, "familjecentral-enskilda-samtal")
    page = client.get(f"/activities/{a.id}").get_data(as_text=True)
    assert re.search(r'name="talks" value="1"', page)  # antal samtal = 1 by default
    assert len(re.findall(r'type="radio" name="age_adult"', page)) == 15
    assert 'name="further_actions"' in page and 'type="checkbox"' in page
    assert f'action="/activities/{a.id}/tallies"' in page
    assert 'name="csrf_token"' in page and "data-outbox" in page


def test_saving_without_javascript_redirects_back_to_the_thread(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    response = client.post(f"/activities/{a.id}/tallies", data=form_of(CASES[a.key][0]))
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/activities/{a.id}#tally-")
    assert count(db) == 1
    page = client.get(f"/activities/{a.id}")
    assert "Polis" in html_text(page) and "Samma igen" in html_text(page)


def test_outbox_save_returns_the_bubble_and_a_retry_returns_the_same_tally(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    data = form_of(CASES[a.key][0])
    first = client.post(f"/activities/{a.id}/tallies", data=data, headers=OUTBOX)
    retry = client.post(f"/activities/{a.id}/tallies", data=data, headers=OUTBOX)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.headers["X-Nara-Tally"] == retry.headers["X-Nara-Tally"]
    body = first.get_data(as_text=True)
    assert 'class="bubble mine tally-bubble"' in body and 'id="same-again"' in body
    assert "Ångra" in body
    assert count(db) == 1


def test_concurrent_identical_http_submissions_store_one_row(app, client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    data = form_of(CASES[a.key][0])
    token = client.csrf_token()
    cookie = client.get_cookie("nara_session")
    statuses: list[int] = []

    def submit():
        other = app.test_client()
        other.set_cookie("nara_session", cookie.value)
        response = other.post(f"/activities/{a.id}/tallies", data=data,
                              headers={**OUTBOX, "X-CSRFToken": token})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 200, 201]
    assert count(db) == 1


@pytest.mark.parametrize("key", sorted(CASES))
def test_invalid_input_returns_422_with_the_message_at_the_field_and_choices_kept(
        client, db, people, key):
    load_catalogue(db)
    people.login(member_of(people, db, key))
    a = activity(db, key)
    _valid, invalid, field = CASES[key]
    response = client.post(f"/activities/{a.id}/tallies", data=form_of(invalid), headers=OUTBOX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<form") and f'id="err-{field}"' in body
    kept = [(k, v) for k, v in invalid.items() if k != field and isinstance(v, str)]
    for name, value in kept:
        assert re.search(rf'name="{name}" value="{re.escape(value)}"\s+checked', body), name
    assert count(db) == 0


def test_invalid_input_without_javascript_renders_the_page_with_the_message(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    response = client.post(f"/activities/{a.id}/tallies", data=form_of(CASES[a.key][1]))
    assert response.status_code == 422
    assert "Välj en ålder inom målgruppen (13–21)." in html_text(response)


def test_a_free_text_value_is_refused_not_stored(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    values = dict(CASES[a.key][0], route_in="Lisa Svensson 0701234567")
    response = client.post(f"/activities/{a.id}/tallies", data=form_of(values), headers=OUTBOX)
    assert response.status_code == 422 and 'id="err-route_in"' in response.get_data(as_text=True)
    assert count(db) == 0


def test_a_future_time_is_refused_and_a_past_day_is_accepted(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    future = form_of(CASES[a.key][0])
    future["occurred_at"] = (utcnow() + timedelta(hours=2)).isoformat()
    response = client.post(f"/activities/{a.id}/tallies", data=future, headers=OUTBOX)
    assert response.status_code == 422 and 'id="err-occurred_at"' in response.get_data(
        as_text=True)
    past = form_of(CASES[a.key][0])
    past["day"] = (utcnow() - timedelta(days=3)).date().isoformat()
    past["time"] = "09:30"
    assert client.post(f"/activities/{a.id}/tallies", data=past).status_code == 303
    stored = db.exec(select(Tally)).one()
    assert timedelta(days=2) < utcnow() - stored.occurred_at < timedelta(days=4)


def test_undo_within_the_window_marks_the_bubble_undone(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    saved = client.post(f"/activities/{a.id}/tallies", data=form_of(CASES[a.key][0]),
                        headers=OUTBOX)
    tally_id = saved.headers["X-Nara-Tally"]
    response = client.post(f"/tallies/{tally_id}/undo", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Ångrad" in html_text(response)
    assert db.get(Tally, int(tally_id)).void_reason == "undo"


def test_undo_after_the_window_says_to_correct_instead(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    old, _ = record_tally(db, fia, a, CASES[a.key][0], uuid.uuid4(),
                          now=utcnow() - timedelta(minutes=5))
    db.commit()
    response = client.post(f"/tallies/{old.id}/undo", headers={"HX-Request": "true"})
    assert response.status_code == 400 and response.headers["HX-Retarget"] == "#notice"
    assert "rättelse" in html_text(response)
    db.expire_all()
    assert not db.get(Tally, old.id).voided


def test_correction_keeps_the_original_and_replaces_it(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    old, _ = record_tally(db, fia, a, CASES[a.key][0], uuid.uuid4(),
                          now=utcnow() - timedelta(hours=2))
    db.commit()
    page = client.get(f"/tallies/{old.id}/correct")
    assert page.status_code == 200
    assert re.search(r'name="age_individual" value="13"\s+checked', page.get_data(as_text=True))
    fixed = form_of(dict(CASES[a.key][0], age_individual="14"))
    assert client.post(f"/tallies/{old.id}/correct", data=fixed).status_code == 303
    db.expire_all()
    original = db.get(Tally, old.id)
    replacement = db.exec(select(Tally).where(Tally.corrects_id == old.id)).one()
    assert original.void_reason == "correction" and original.voided_by_id == fia.id
    assert values_of(db, [replacement])[replacement.id]["age_individual"] == "14"
    thread = html_text(client.get(f"/activities/{a.id}"))
    assert "Rättad" in thread and "Sparad (rättelse)" in thread


def test_a_colleague_cannot_see_or_undo_my_tally(client, app, db, fia, people):
    a = activity(db, "faltare-allvarssamtal")
    mine, _ = record_tally(db, fia, a, CASES[a.key][0], uuid.uuid4())
    db.commit()
    colleague = member_of(people, db, "faltare-allvarssamtal", "colleague")
    other = people.login(colleague, app.test_client())
    assert other.post(f"/tallies/{mine.id}/undo").status_code == 404
    assert f"tally-{mine.id}" not in other.get(f"/activities/{a.id}").get_data(as_text=True)


def test_someone_elses_submission_id_is_not_answered_with_their_tally(client, app, db, fia,
                                                                     people):
    a = activity(db, "faltare-allvarssamtal")
    data = form_of(CASES[a.key][0])
    client.post(f"/activities/{a.id}/tallies", data=data, headers=OUTBOX)
    other = people.login(member_of(people, db, "faltare-allvarssamtal", "colleague"),
                         app.test_client())
    response = other.post(f"/activities/{a.id}/tallies", data=data, headers=OUTBOX)
    assert response.status_code == 422 and "X-Nara-Tally" not in response.headers
    assert count(db) == 1


@pytest.mark.parametrize(("key", "says"), [
    ("faltare-uppsokande", "relationsskapande"),
    ("aldreomsorgen-trygghetslarm", "journal"),
])
def test_exempt_and_case_system_pages_explain_and_offer_no_form(client, db, people, key, says):
    load_catalogue(db)
    people.login(member_of(people, db, key))
    a = activity(db, key)
    page = client.get(f"/activities/{a.id}")
    assert page.status_code == 200 and says in html_text(page)
    assert 'id="composer"' not in page.get_data(as_text=True)
    refused = client.post(f"/activities/{a.id}/tallies", data={"client_uuid": str(uuid.uuid4())})
    assert refused.status_code == 400 and count(db) == 0


def test_a_tally_post_without_csrf_token_is_refused(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    response = client.post(f"/activities/{a.id}/tallies", data=form_of(CASES[a.key][0]),
                           csrf=False)
    assert response.status_code == 400 and count(db) == 0


def test_the_offline_catalogue_lists_only_my_units_activities_and_is_not_cached(client, db,
                                                                              fia):
    response = client.get("/tally/catalogue.json")
    data = response.get_json()
    assert [a["name"] for a in data["activities"]] == [
        "Allvarssamtal med enskild", "Uppsökande verksamhet", "Gruppverksamhet"]
    assert 'id="composer"' in data["activities"][0]["html"]
    assert 'name="csrf_token" value=""' in data["activities"][0]["html"]
    assert response.headers["Cache-Control"] == "no-store" and data["user"] == fia.id


def test_the_offline_shell_holds_no_personal_data(app, db, fia):
    body = app.test_client().get("/tally/shell").get_data(as_text=True)
    assert "Fia" not in body and 'content=""' in body  # no name, no CSRF token
    assert 'id="tally-shell"' in body


def test_same_again_save_stays_under_five_kilobytes(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    client.post(f"/activities/{a.id}/tallies", data=form_of(CASES[a.key][0]), headers=OUTBOX)
    page = client.get(f"/activities/{a.id}").get_data(as_text=True)
    form = page[page.index('<div id="same-again"'):]
    form = form[:form.index("</form>")]
    pairs = re.findall(r'name="([^"]+)" value="([^"]*)"', form)
    data = {k: v for k, v in pairs if k != "csrf_token"} | {"client_uuid": str(uuid.uuid4())}
    response = client.post(f"/activities/{a.id}/tallies", data=data, headers=OUTBOX)
    assert response.status_code == 201
    size = len(response.get_data()) + sum(len(k) + len(v) + 4 for k, v in response.headers)
    assert size < 5 * 1024, size
    assert count(db) == 2


def test_inbox_lists_the_activities_as_threads(client, db, fia):
    page = html_text(client.get("/"))
    for name in ("Allvarssamtal med enskild", "Gruppverksamhet", "Uppsökande verksamhet"):
        assert name in page
