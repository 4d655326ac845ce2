"""A unit's own option lists: its managers change them; tallies follow, old ones keep theirs."""

from __future__ import annotations

import re
import uuid

from models.catalogue import current_field_set, spec_of, unit_options
from models.tally import record_tally, values_of
from tests.conftest import html_text
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
    text = html_text(page)
    assert "Problematik" in text and "Väg in" in text and "Allvarssamtal med enskild" in text
    assert "BVC/BHV" in page.get_data(as_text=True)


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
    composer = client.get(f"/activities/{a.id}").get_data(as_text=True)
    assert re.search(r'name="problem_area" value="spel_om_pengar"', composer)


def test_an_empty_list_is_refused_and_what_was_typed_is_kept(client, db, people):
    manager, _staff, unit = _setup(db, people)
    people.login(manager)
    response = client.post(f"/units/{unit.id}/tally-options", data={
        "list_key": "route_in", "options": "Skola\nskola"})
    assert response.status_code == 422
    assert "Varje alternativ bara en gång" in html_text(response)
    assert "Skola\nskola" in response.get_data(as_text=True)
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
    assert client.get(f"/units/{unit.id}/tally-options").status_code == 403
