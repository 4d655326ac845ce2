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
from tests.conftest import html_text, soup, text_of, texts
from tests.tally_helpers import (
    CASES,
    activity,
    load_catalogue,
    member_of,
)

OUTBOX = {"X-Nara-Outbox": "1", "HX-Request": "true"}


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
    composer = soup(client.get(f"/activities/{a.id}")).select_one("form#composer")
    assert composer.select_one('input[name="talks"]')["value"] == "1"  # antal samtal = 1
    assert len(composer.select('input[type="radio"][name="age_adult"]')) == 15
    assert composer.select('input[type="checkbox"][name="further_actions"]')


def test_the_composer_posts_through_the_outbox_with_a_csrf_token(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    composer = soup(client.get(f"/activities/{a.id}")).select_one("form#composer")
    assert composer["action"] == f"/activities/{a.id}/tallies"
    assert composer.has_attr("data-outbox")
    assert composer.select_one('input[name="csrf_token"]')["value"]


def test_saving_without_javascript_redirects_back_to_the_thread(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    response = client.post(f"/activities/{a.id}/tallies", data=form_of(CASES[a.key][0]))
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/activities/{a.id}#tally-")
    assert count(db) == 1
    page = client.get(f"/activities/{a.id}")
    assert "Polis" in texts(page, "li.tally-bubble")[-1]
    assert text_of(soup(page).select_one("#same-again .again-label")) == "Samma igen"


def test_outbox_save_returns_the_bubble_with_undo_and_same_again(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    first = client.post(f"/activities/{a.id}/tallies", data=form_of(CASES[a.key][0]),
                        headers=OUTBOX)
    assert first.status_code == 201
    page = soup(first)
    bubble = page.select_one(f"li.bubble.mine.tally-bubble#tally-{first.headers['X-Nara-Tally']}")
    assert text_of(bubble.select_one("form.undo-form button")) == "Ångra"
    assert page.select_one("#same-again form")


def test_an_outbox_retry_returns_the_same_tally(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    data = form_of(CASES[a.key][0])
    first = client.post(f"/activities/{a.id}/tallies", data=data, headers=OUTBOX)
    retry = client.post(f"/activities/{a.id}/tallies", data=data, headers=OUTBOX)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.headers["X-Nara-Tally"] == retry.headers["X-Nara-Tally"]
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
    form = soup(response).find(True)
    assert form.name == "form" and form.select_one(f"#err-{field}") is not None
    kept = [(k, v) for k, v in invalid.items() if k != field and isinstance(v, str)]
    for name, value in kept:
        checked = [i["value"] for i in form.select(f'input[name="{name}"][checked]')]
        assert checked == [value], name
    assert count(db) == 0


def test_invalid_input_without_javascript_renders_the_page_with_the_message(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    response = client.post(f"/activities/{a.id}/tallies", data=form_of(CASES[a.key][1]))
    assert response.status_code == 422
    assert texts(response, "#err-age_individual") == ["Välj en ålder inom målgruppen (13–21)."]


def test_a_free_text_value_is_refused_not_stored(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    values = dict(CASES[a.key][0], route_in="Lisa Svensson 0701234567")
    response = client.post(f"/activities/{a.id}/tallies", data=form_of(values), headers=OUTBOX)
    assert response.status_code == 422
    assert soup(response).select_one("#err-route_in") is not None
    assert count(db) == 0


def test_a_future_time_is_refused_at_its_field(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    future = form_of(CASES[a.key][0])
    future["occurred_at"] = (utcnow() + timedelta(hours=2)).isoformat()
    response = client.post(f"/activities/{a.id}/tallies", data=future, headers=OUTBOX)
    assert response.status_code == 422
    assert soup(response).select_one("#err-occurred_at") is not None
    assert count(db) == 0


def test_a_past_day_is_accepted(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
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
    assert response.status_code == 200
    bubble = soup(response).select_one(f"li.tally-bubble#tally-{tally_id}")
    assert "status-voided" in bubble["class"]
    assert text_of(bubble.select_one(".tally-status")) == "Ångrad"
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
    checked = soup(page).select('input[name="age_individual"][checked]')
    assert [i["value"] for i in checked] == ["13"]
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
    assert soup(page).select_one("#composer") is None
    refused = client.post(f"/activities/{a.id}/tallies", data={"client_uuid": str(uuid.uuid4())})
    assert refused.status_code == 400 and count(db) == 0


def test_a_tally_post_without_csrf_token_is_refused(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    response = client.post(f"/activities/{a.id}/tallies", data=form_of(CASES[a.key][0]),
                           csrf=False)
    assert response.status_code == 400 and count(db) == 0


def test_the_offline_catalogue_lists_only_my_units_activities_and_is_revalidated(client, db,
                                                                               fia):
    response = client.get("/tally/catalogue.json")
    data = response.get_json()
    assert [a["name"] for a in data["activities"]] == [
        "Allvarssamtal med enskild", "Uppsökande verksamhet", "Gruppverksamhet"]
    composer = soup(data["activities"][0]["html"]).select_one("form#composer")
    assert composer.select_one('input[name="csrf_token"]')["value"] == ""
    # private, no-cache (issue 16): kept by this browser only, and asked for again each time
    assert response.headers["Cache-Control"] == "private, no-cache" and data["user"] == fia.id


def test_the_offline_shell_holds_no_personal_data(app, db, fia):
    response = app.test_client().get("/tally/shell")
    assert "Fia" not in response.get_data(as_text=True)  # no name
    page = soup(response)
    assert page.select_one('meta[name="nara-csrf"]')["content"] == ""  # no CSRF token
    assert page.select_one("#tally-shell") is not None


def test_same_again_save_stays_under_five_kilobytes(client, db, fia):
    a = activity(db, "faltare-allvarssamtal")
    client.post(f"/activities/{a.id}/tallies", data=form_of(CASES[a.key][0]), headers=OUTBOX)
    form = soup(client.get(f"/activities/{a.id}")).select_one("#same-again form")
    pairs = [(i["name"], i["value"]) for i in form.select("input[name]")]
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


def test_the_correction_page_writes_the_time_as_the_threads_do(client, db, fia):
    """One way to write time (issue 15 §5): 'i dag 10:39', not '2026-12-01 10:39'."""
    a = activity(db, "faltare-allvarssamtal")
    old, _ = record_tally(db, fia, a, CASES[a.key][0], uuid.uuid4(),
                          now=utcnow() - timedelta(hours=2))
    db.commit()
    shown = text_of(soup(client.get(f"/tallies/{old.id}/correct")).select_one(".bubble-meta time"))
    assert re.fullmatch(r"i (dag|går) \d{2}:\d{2}", shown), shown
