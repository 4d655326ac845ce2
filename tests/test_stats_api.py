"""The open statistics export (issue 18 §3): token-authorised, shared values only, on the
calendar grid, in a shape fixed by static/schemas/stats-v1.schema.json."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from sqlmodel import select

from models.access import AccessLog
from models.catalogue import units_of_activity
from models.manage.open_data import ApiToken, issue_token
from models.tally import record_tally
from tests.conftest import soup
from tests.tally_helpers import activity, load_catalogue

SCHEMA = json.loads((Path(__file__).parent.parent / "static" / "schemas" /
                     "stats-v1.schema.json").read_text())
WHEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(db, people, clock):
    """Allvarssamtal in Fältgruppen: 7 girls and 2 boys in November 2026; an admin."""
    load_catalogue(db)
    act = activity(db, "faltare-allvarssamtal")
    unit = units_of_activity(db, act.id)[0]
    other = people.unit("Annan enhet")
    fia = people.user("fia", "staff", [unit])
    admin = people.user("ada", "admin")
    manager = people.user("maja", "manager", [unit])
    clock.move(days=0)
    for n in range(9):
        record_tally(db, fia, act, {"gender_young": "k" if n < 7 else "m", "age_individual": "15",
                                    "problem_area": "skola", "route_in": "polis"},
                     uuid.uuid4(), occurred_at=WHEN, now=WHEN)
    db.commit()
    token, secret = issue_token(db, admin, "Statistikportalen", [unit.id])
    db.commit()
    return {"activity": act, "unit": unit, "other": other, "secret": secret, "token": token,
            "admin": admin, "manager": manager}


def _get(client, secret, **params):
    params.setdefault("activity", "faltare-allvarssamtal")
    params.setdefault("period", "month")
    params.setdefault("date", "2026-11-01")
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.get("/api/stats/v1/tables", query_string=params, headers=headers)


def _gender(document) -> dict:
    table = next(t for t in document["tables"] if t["dimension"]["code"] == "gender_young")
    return {c["code"]: c["text"] for c in table["cells"]}


def test_the_answer_follows_the_published_schema(client, world):
    response = _get(client, world["secret"])
    assert response.status_code == 200
    jsonschema.validate(response.get_json(), SCHEMA)


def test_the_schema_itself_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_figures_are_the_ones_the_shared_export_publishes(client, people, world):
    people.login(world["manager"], client)
    export = client.get("/manage/stats/export", query_string={
        "activity": world["activity"].id, "period": "month", "date": "2026-11-01",
        "table": "field-gender_young", "format": "csv"}).get_data(as_text=True)
    people.logout(client)
    gender = _gender(_get(client, world["secret"]).get_json())
    rows = {r[0]: r[1] for r in csv.reader(io.StringIO(export.lstrip("\ufeff"))) if len(r) > 1}
    assert (rows.get("Tjej"), rows.get("Kille")) == (gender["k"], gender["m"])


def test_a_small_count_is_never_published(client, world):
    document = _get(client, world["secret"]).get_json()
    table = next(t for t in document["tables"] if t["dimension"]["code"] == "gender_young")
    boys = next(c for c in table["cells"] if c["code"] == "m")  # 2 boys: rounded to 0 or 5
    assert boys["value"] in (0, 5)


def test_without_a_token_the_answer_is_401_problem_json(client, world):
    response = _get(client, None)
    assert (response.status_code, response.mimetype) == (401, "application/problem+json")


def test_a_managers_browser_session_gives_nothing(client, people, world):
    people.login(world["manager"])
    assert _get(client, None).status_code == 401


def test_a_revoked_token_is_refused(client, db, world):
    from models.manage.open_data import revoke_token
    revoke_token(db, world["admin"], db.get(ApiToken, world["token"].id))
    db.commit()
    assert _get(client, world["secret"]).status_code == 401


def test_a_unit_outside_the_tokens_scope_is_a_parameter_error(client, world):
    response = _get(client, world["secret"], unit=str(world["other"].id))
    assert response.status_code == 422
    assert "units" in response.get_json()["errors"]


@pytest.mark.parametrize("period", ["week", "custom", "day"])
def test_only_months_quarters_and_years_are_published(client, world, period):
    response = _get(client, world["secret"], period=period)
    assert response.status_code == 422
    assert "period" in response.get_json()["errors"]


def test_a_wrong_date_is_a_parameter_error_not_a_crash(client, world):
    response = _get(client, world["secret"], date="2026-02-30")
    assert response.status_code == 422
    assert "date" in response.get_json()["errors"]


def test_a_year_is_published_with_its_months_as_the_series(client, world):
    document = _get(client, world["secret"], period="year").get_json()
    assert len(document["series"]) == 12


def test_the_catalogue_version_used_is_named(client, world):
    assert _get(client, world["secret"]).get_json()["catalogue_versions"] == [1]


def test_every_use_is_logged_granted_or_denied(client, db, world):
    _get(client, world["secret"])
    _get(client, "nara_not-a-real-token")
    rows = db.exec(select(AccessLog).where(AccessLog.subject_type == "api_token",
                                           AccessLog.action == "api.stats.tables")).all()
    assert sorted(r.outcome for r in rows) == ["denied", "granted"]


def test_the_secret_is_never_stored(db, world):
    stored = db.get(ApiToken, world["token"].id)
    assert world["secret"] not in (stored.token_hash, stored.name)


def test_csv_has_the_same_figures_in_fixed_columns(client, world):
    response = _get(client, world["secret"], format="csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["activity", "units", "period_kind", "period_start", "period_end",
                       "dimension", "dimension_label", "code", "label", "value", "text"]
    boys = next(r for r in rows if r[5] == "gender_young" and r[7] == "m")
    assert boys[9] == boys[10] and int(boys[9]) % 5 == 0


def test_the_activities_list_names_the_tokens_units(client, world):
    response = client.get("/api/stats/v1/activities",
                          headers={"Authorization": f"Bearer {world['secret']}"})
    assert [u["label"] for u in response.get_json()["units"]] == [world["unit"].name]


# --- the admin's token page -------------------------------------------------------------


def test_the_admin_issues_a_token_and_sees_it_once(client, people, world):
    people.login("ada")
    response = client.post("/api/tokens", data={"name": "Regionen",
                                                "units": str(world["unit"].id)})
    secret = soup(response).select_one("#token-secret")["value"]
    assert secret.startswith("nara_")
    again = client.get("/api/tokens")
    assert secret not in again.get_data(as_text=True)


def test_a_token_without_units_is_a_field_error(client, people, world):
    people.login("ada")
    response = client.post("/api/tokens", data={"name": "Regionen"})
    assert response.status_code == 422
    assert soup(response).select_one("#err-units") is not None


def test_a_manager_cannot_issue_tokens(client, people, world):
    people.login(world["manager"])
    assert client.get("/api/tokens").status_code in (403, 404)


# --- gaps found in the audit of issue 18 §3 -----------------------------------------------


def _figures_of(document) -> set[tuple[str, str, str, str]]:
    """Every published figure of a JSON answer as (dimension, code, value, text)."""
    out = {("total", "total", str(document["total"]["value"]), document["total"]["text"])}
    out |= {("series", b["start"], str(b["value"]), b["text"]) for b in document["series"]}
    for table in document["tables"]:
        dim = table["dimension"]["code"]
        out |= {(dim, c["code"], str(c["value"]), c["text"]) for c in table["cells"]}
        if table["total"] is not None:
            out.add((dim, "total", str(table["total"]["value"]), table["total"]["text"]))
    return out


def test_csv_carries_every_figure_of_the_json_answer(client, world):
    document = _get(client, world["secret"]).get_json()
    rows = list(csv.reader(io.StringIO(
        _get(client, world["secret"], format="csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert {(r[5], r[7], r[9], r[10]) for r in rows[1:]} == _figures_of(document)
    assert len(rows) - 1 == len(_figures_of(document))  # one row per figure


def test_the_activities_answer_follows_the_published_schema(client, world):
    response = client.get("/api/stats/v1/activities",
                          headers={"Authorization": f"Bearer {world['secret']}"})
    schema = {"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"],
              "$ref": "#/$defs/activities_document"}
    jsonschema.validate(response.get_json(), schema)


def test_the_schema_names_its_dates_as_dates(client, world):
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    document = _get(client, world["secret"]).get_json()
    jsonschema.Draft202012Validator(SCHEMA, format_checker=checker).validate(document)
    document["period"]["start"] = "2026-11-31"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA, format_checker=checker).validate(document)


def test_only_the_sha256_of_the_secret_is_stored(db, world):
    import hashlib

    stored = db.get(ApiToken, world["token"].id)
    assert stored.token_hash == hashlib.sha256(world["secret"].encode()).hexdigest()


def test_the_admin_revokes_a_token_on_its_page_and_it_stops_working(client, people, world):
    assert _get(client, world["secret"]).status_code == 200
    people.login("ada")
    page = soup(client.get("/api/tokens"))
    form = page.select_one(f"form[action='/api/tokens/{world['token'].id}/revoke']")
    assert client.post(form["action"]).status_code == 303
    people.logout()
    assert _get(client, world["secret"]).status_code == 401


def test_a_token_counts_only_its_own_units_tallies(client, db, people, world):
    from models.catalogue import ActivityUnit

    db.add(ActivityUnit(activity_id=world["activity"].id, unit_id=world["other"].id))
    db.commit()
    olle = people.user("olle", "staff", [world["other"]])
    for _n in range(40):
        record_tally(db, olle, world["activity"], {
            "gender_young": "m", "age_individual": "16", "problem_area": "skola",
            "route_in": "polis"}, uuid.uuid4(), occurred_at=WHEN, now=WHEN,
            unit=world["other"])
    db.commit()
    document = _get(client, world["secret"]).get_json()
    assert [u["label"] for u in document["units"]] == [world["unit"].name]
    assert document["total"]["value"] <= 9 + 4  # Fältgruppen's 9, never the other 40
