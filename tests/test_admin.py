"""An administrator manages people and units from the phone."""

from __future__ import annotations

from sqlmodel import select

from models.access import User, units_of
from tests.conftest import PASSWORD, html_text, soup, text_of


def test_admin_inbox_has_a_people_and_units_thread(client, people):
    people.user("ada", "admin")
    people.login("ada")
    text = html_text(client.get("/"))
    assert "Personer och enheter" in text


def test_admin_creates_a_person_who_can_then_sign_in(client, people, db, app):
    unit = people.unit("Fältgruppen")
    people.user("ada", "admin")
    people.login("ada")
    response = client.post("/admin/users", data={
        "username": "Nyanställd", "display_name": "Ny Anställd", "role": "staff",
        "units": [str(unit.id)], "password": "a long first password"})
    assert response.status_code == 302
    created = db.exec(select(User).where(User.username == "nyanställd")).one()
    assert [u.name for u in units_of(db, created)] == ["Fältgruppen"]
    other = app.test_client()
    ok = other.post("/login", data={"username": "nyanställd", "password": "a long first password"})
    assert ok.status_code == 302


def test_a_short_password_is_refused_at_the_field_with_the_form_kept(client, people):
    people.user("ada", "admin")
    people.login("ada")
    response = client.post("/admin/users", data={
        "username": "ny", "display_name": "Ny Person", "role": "staff", "password": "kort"})
    assert response.status_code == 422
    page = soup(response)
    assert "minst 10 tecken" in text_of(page.select_one("#err-password"))
    assert page.select_one('input[name="display_name"]')["value"] == "Ny Person"


def test_deactivating_a_person_ends_their_session_at_once(client, people, app, db):
    people.user("ada", "admin")
    fia = people.user("fia")
    fia_client = people.login("fia", app.test_client())
    assert fia_client.get("/").status_code == 200
    people.login("ada")
    client.post(f"/admin/users/{fia.id}/active", data={"active": "0", "confirm": "yes"})
    assert fia_client.get("/").status_code == 302
    assert fia_client.post("/login", data={"username": "fia", "password": PASSWORD}).status_code \
        == 401


def test_admin_cannot_deactivate_themself(client, people):
    ada = people.user("ada", "admin")
    people.login("ada")
    response = client.post(f"/admin/users/{ada.id}/active", data={"active": "0", "confirm": "yes"})
    assert response.status_code == 422
    assert "ditt eget konto" in html_text(response)


def test_admin_sets_units_for_a_person(client, people, db):
    a, b = people.unit("A"), people.unit("B")
    people.user("ada", "admin")
    kim = people.user("kim", units=[a])
    people.login("ada")
    client.post(f"/admin/users/{kim.id}/units", data={"units": [str(b.id)]})
    db.expire_all()
    assert [u.name for u in units_of(db, kim)] == ["B"]


def test_duplicate_unit_name_is_refused_with_the_name_kept(client, people):
    people.unit("Fältgruppen")
    people.user("ada", "admin")
    people.login("ada")
    response = client.post("/admin/units", data={"name": "Fältgruppen"})
    assert response.status_code == 422
    assert "Enheten finns redan." in html_text(response)
