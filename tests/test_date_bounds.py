"""Sane dates in a client's file (issue 12): no consent or assignment before the person was
born or more than three years ahead, and no client born more than 125 years ago; each a
translated message at its field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.core.clock import local_today
from tests.conftest import soup
from tests.journal_helpers import make_home  # Astrid Test, born 1938-05-15

BEFORE_BIRTH = "Datumet ligger före personens födelse."
TOO_FAR = "Datumet ligger mer än 3 år fram i tiden."


def ahead(days: int) -> str:
    return (local_today() + timedelta(days=days)).isoformat()


@pytest.fixture
def home(people):
    return make_home(people, kind="service", consent=False)


def _consent(client, home, **dates):
    data = {"assignment": home.assignment.id, "given_on": local_today().isoformat(),
            "given_how": "oral", "valid_until": ahead(180), "purpose": "Samordning",
            "covers_documentation": "1"} | dates
    return client.post(f"/journal/{home.client.id}/consent", data=data)


@pytest.mark.parametrize(("dates", "field", "message"), [
    ({"given_on": "1930-01-01"}, "given_on", BEFORE_BIRTH),
    ({"valid_until": ahead(4 * 366)}, "valid_until", TOO_FAR),
], ids=["given-before-birth", "valid-too-far-ahead"])
def test_a_consent_date_out_of_bounds_is_refused_at_its_field(
        client, people, home, dates, field, message):
    people.login(home.hanna)
    response = _consent(client, home, **dates)
    assert response.status_code == 422
    assert soup(response).select_one(f"#err-{field}").text.strip() == message


def test_a_consent_valid_for_three_years_is_accepted(client, people, home):
    people.login(home.hanna)
    assert _consent(client, home, valid_until=ahead(3 * 365)).status_code == 302


def _new_client(client, home, **changes):
    data = {"unit_id": home.unit.id, "name": "Bertil Test", "personal_number": "19500505-0009",
            "kind": "sol", "title": "Hemtjänst", "started_on": local_today().isoformat()}
    return client.post("/clients/new", data=data | changes)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"started_on": "1949-12-31"}, "started_on", BEFORE_BIRTH),
    ({"started_on": ahead(4 * 366)}, "started_on", TOO_FAR),
    ({"decided_on": "1949-01-01", "started_on": "1990-01-01"}, "decided_on", BEFORE_BIRTH),
    ({"personal_number": "18890101-1232"}, "personal_number",
     "Enligt numret föddes personen för mer än 125 år sedan."),
], ids=["started-before-birth", "started-too-far-ahead", "decided-before-birth",
        "born-too-long-ago"])
def test_a_new_file_with_a_date_out_of_bounds_is_refused_at_its_field(
        client, people, home, changes, field, message):
    people.login(home.maja)
    response = _new_client(client, home, **changes)  # Bertil, born 1950-05-05
    assert response.status_code == 422
    assert soup(response).select_one(f"#err-{field}").text.strip() == message
