"""A unit's own option lists: its managers change them; tallies follow, old ones keep theirs."""

from __future__ import annotations

import uuid

from models.catalogue import current_field_set, spec_of, unit_options
from models.tally import record_tally, values_of
from tests.conftest import soup, text_of, texts
from tests.sql_helpers import statements
from tests.tally_helpers import CASES, activity, load_catalogue


def _setup(db, people):
    load_catalogue(db)
    manager = people.user("chef", "manager", ["Fältgruppen"])
    staff = people.user("fia", "staff", ["Fältgruppen"])
    return manager, staff, people.unit("Fältgruppen")


def test_a_manager_sees_the_units_editable_lists(client, db, people):
    manager, _staff, unit = _setup(db, people)
    people.login(manager)
    page = client.get(f"/units/{unit.id}/tally-options")
    assert page.status_code == 200
    assert {"Problematik", "Väg in"} <= set(texts(page, "section.card h2"))
    used_in = texts(page, "section.card > p.muted")
    assert any("Allvarssamtal med enskild" in line for line in used_in)
    options = [line for t in soup(page).select('textarea[name="options"]')
               for line in t.text.splitlines()]
    assert "BVC/BHV" in options


def test_a_new_problem_area_list_reaches_the_composer_and_keeps_old_tallies(client, db, people):
    manager, staff, unit = _setup(db, people)
    a = activity(db, "faltare-allvarssamtal")
    old, _ = record_tally(db, staff, a, CASES[a.key][0], uuid.uuid4())
    db.commit()
    people.login(manager)
    response = client.post(f"/units/{unit.id}/tally-options", data={
        "list_key": "problem_area", "options": "Spel om pengar\nBeroende\nSkola\n"})
    assert response.status_code == 303
    db.expire_all()
    codes = [o["code"] for o in unit_options(db, unit.id)["problem_area"]]
    assert codes == ["spel_om_pengar", "beroende", "skola"]  # kept labels keep their codes
    spec = spec_of(db, current_field_set(db, a, unit.id).id)
    assert [o.label for o in spec.field("problem_area").options] == [
        "Spel om pengar", "Beroende", "Skola"]
    assert values_of(db, [old])[old.id]["problem_area"] == "beroende"
    assert spec_of(db, old.field_set_id).field("problem_area").option("vald") is not None
    people.login(staff)
    composer = soup(client.get(f"/activities/{a.id}"))
    choices = [i["value"] for i in composer.select('input[name="problem_area"]')]
    assert "spel_om_pengar" in choices


def test_an_empty_list_is_refused_and_what_was_typed_is_kept(client, db, people):
    manager, _staff, unit = _setup(db, people)
    people.login(manager)
    response = client.post(f"/units/{unit.id}/tally-options", data={
        "list_key": "route_in", "options": "Skola\nskola"})
    assert response.status_code == 422
    page = soup(response)
    assert "Varje alternativ bara en gång" in text_of(page.select_one("#err-route_in"))
    assert page.select_one("textarea#options-route_in").text == "Skola\nskola"
    assert "route_in" not in unit_options(db, unit.id)


def test_restoring_the_catalogue_list(client, db, people):
    manager, _staff, unit = _setup(db, people)
    people.login(manager)
    client.post(f"/units/{unit.id}/tally-options",
                data={"list_key": "route_in", "options": "Skola\nFritidsgård"})
    assert "route_in" in unit_options(db, unit.id)
    client.post(f"/units/{unit.id}/tally-options", data={"list_key": "route_in", "restore": "1"})
    db.expire_all()
    assert "route_in" not in unit_options(db, unit.id)


def test_gender_is_not_a_list_a_unit_can_change(client, db, people):
    manager, _staff, unit = _setup(db, people)
    people.login(manager)
    response = client.post(f"/units/{unit.id}/tally-options",
                           data={"list_key": "gender", "options": "A\nB"})
    assert response.status_code == 422 and unit_options(db, unit.id) == {}


def test_staff_cannot_change_the_lists(client, db, people):
    _manager, staff, unit = _setup(db, people)
    people.login(staff)
    assert client.get(f"/units/{unit.id}/tally-options").status_code == 404


# --- the stored "which version does this unit log with" link ----------------------------


def _link(db, activity_id: int, unit_id: int):
    from sqlmodel import select

    from models.catalogue import ActivityUnit

    db.expire_all()
    return db.exec(select(ActivityUnit.field_set_id).where(
        ActivityUnit.activity_id == activity_id, ActivityUnit.unit_id == unit_id)).one()


def test_a_units_own_list_moves_its_stored_version_and_restoring_it_moves_it_back(db, people):
    from models.catalogue import base_field_set, set_unit_options

    _manager, _staff, unit = _setup(db, people)
    a = activity(db, "faltare-allvarssamtal")
    base = base_field_set(db, a.id)
    assert _link(db, a.id, unit.id) == base.id
    set_unit_options(db, unit.id, "route_in", [{"code": "skola", "label": "Skola"},
                                               {"code": "polis", "label": "Polis"}])
    db.commit()
    own = _link(db, a.id, unit.id)
    assert own != base.id
    assert [o.code for o in spec_of(db, own).field("route_in").options] == ["skola", "polis"]
    set_unit_options(db, unit.id, "route_in", None)
    db.commit()
    assert _link(db, a.id, unit.id) == base.id


def test_a_new_catalogue_version_reaches_every_unit_at_import(db, people):
    from models.catalogue import base_field_set, export_catalogue, import_catalogue

    _manager, _staff, unit = _setup(db, people)
    a = activity(db, "faltare-allvarssamtal")
    before = _link(db, a.id, unit.id)
    data = export_catalogue(db)
    entry = next(e for e in data["activities"] if e["key"] == a.key)
    entry["fields"] = [f for f in entry["fields"] if f["key"] != "problem_area"]
    import_catalogue(db, data)
    db.commit()
    after = _link(db, a.id, unit.id)
    assert after != before and after == base_field_set(db, a.id).id
    assert spec_of(db, after).field("problem_area") is None


def test_a_link_not_yet_derived_is_worked_out_on_read_and_stored_by_the_refresh(db, people):
    from sqlmodel import update

    from models.catalogue import ActivityUnit, base_field_set, refresh_field_sets

    _manager, staff, unit = _setup(db, people)
    a = activity(db, "faltare-allvarssamtal")
    db.exec(update(ActivityUnit).values(field_set_id=None))  # as right after migration 0006
    db.commit()
    assert current_field_set(db, a, unit.id).id == base_field_set(db, a.id).id
    tally, created = record_tally(db, staff, a, CASES[a.key][0], uuid.uuid4())
    assert created and tally.field_set_id == base_field_set(db, a.id).id
    db.commit()
    assert refresh_field_sets(db) > 0
    db.commit()
    assert _link(db, a.id, unit.id) == base_field_set(db, a.id).id


def test_a_same_again_save_reads_the_catalogue_in_the_access_check_only(client, db, people):
    """The save path's statements: user, the activity with its units-with-versions, three
    INSERTs (tally with today's count, values, the day's counts). More means a catalogue
    read crept back into every save."""
    _manager, staff, unit = _setup(db, people)
    a = activity(db, "faltare-allvarssamtal")
    people.login(staff)
    form = {**{k: v for k, v in _form_of(CASES[a.key][0])}, "unit": str(unit.id)}
    with statements(db.get_bind()) as sent:
        response = client.post(f"/activities/{a.id}/tallies",
                               data={**form, "client_uuid": str(uuid.uuid4())},
                               headers={"X-Nara-Outbox": "1", "HX-Request": "true"})
    sql = [" ".join(s.split())[:60] for s in sent]
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    catalogue = [s for s in sql if "field_set" in s.split(" FROM ")[-1].split(" ")[0]
                 or s.startswith("SELECT field_") or "unit_option_list" in s]
    assert catalogue == [], sql
    assert len([s for s in sql if s.startswith(("SELECT", "INSERT"))]) <= 5, sql


def _form_of(values: dict):
    for key, value in values.items():
        if isinstance(value, dict):
            yield from ((f"{key}.{code}", str(n)) for code, n in value.items())
        elif isinstance(value, list):
            yield from ((key, str(v)) for v in value)
        else:
            yield key, str(value)
