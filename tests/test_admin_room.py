"""The admin room over HTTP: the catalogue edited in the browser goes the import's way,
file mistakes are shown at their line, settings and people changes land in the admin log
(before and after, never a password), and bad input is a field error, never a 500."""

from __future__ import annotations

import csv
import io
import uuid

import yaml
from sqlmodel import select

from models.admin import AdminLog
from models.catalogue import (
    FieldSet,
    base_field_set,
    export_catalogue,
    import_catalogue,
    spec_of,
)
from models.tally import record_tally
from models.tally.record import Tally
from tests.conftest import soup, text_of, texts
from tests.tally_helpers import CASES, activity, load_catalogue

KEY = "faltare-allvarssamtal"


def _admin(people, db):
    load_catalogue(db)
    people.user("ada", "admin")
    people.login("ada")


def _form(client, activity_id: int) -> dict:
    """The activity page's form as the browser would send it (every input's value)."""
    page = soup(client.get(f"/admin/catalogue/{activity_id}"))
    form = page.select_one("form.form")
    data: dict = {}
    for tag in form.select("input, select, textarea"):
        name = tag.get("name")
        if not name:
            continue
        if tag.name == "select":
            chosen = tag.select_one("option[selected]") or tag.select_one("option")
            data[name] = chosen["value"]
        elif tag.name == "textarea":
            data[name] = tag.text
        elif tag.get("type") == "checkbox":
            if tag.has_attr("checked"):
                data.setdefault(name, []).append(tag["value"])
        else:
            data[name] = tag.get("value", "")
    return data


def _log(db, action: str) -> list[AdminLog]:
    db.expire_all()
    return list(db.exec(select(AdminLog).where(AdminLog.action == action)
                        .order_by(AdminLog.id)).all())


def test_saving_an_activity_unchanged_makes_no_version_and_no_log_row(client, db, people):
    _admin(people, db)
    a = activity(db, KEY)
    before = base_field_set(db, a.id).version
    response = client.post(f"/admin/catalogue/{a.id}", data=_form(client, a.id))
    assert response.status_code == 302
    db.expire_all()
    assert base_field_set(db, a.id).version == before
    assert _log(db, "catalogue.activity") == []


def test_a_changed_field_gets_a_new_version_and_old_tallies_keep_theirs(client, db, people):
    _admin(people, db)
    a = activity(db, KEY)
    staff = people.user("fia", "staff", ["Fältgruppen"])
    old, _ = record_tally(db, staff, a, CASES[KEY][0], uuid.uuid4())
    db.commit()
    old_set = old.field_set_id
    data = _form(client, a.id)
    data["f0_options"] = data["f0_options"] + "\nIcke-binär"
    assert client.post(f"/admin/catalogue/{a.id}", data=data).status_code == 302
    db.expire_all()
    new = base_field_set(db, a.id)
    assert new.version > db.get(FieldSet, old_set).version
    assert db.get(Tally, old.id).field_set_id == old_set
    labels = [o.label for o in spec_of(db, new.id).fields[0].options]
    assert labels[-1] == "Icke-binär"
    assert labels[0] == "Tjej"  # a kept label keeps its code and place


def test_the_browser_save_is_exactly_what_the_import_would_store(client, db, people):
    _admin(people, db)
    a = activity(db, KEY)
    data = _form(client, a.id)
    data["f0_required"] = []  # the first field no longer required
    data["talk_cap"] = "3"
    client.post(f"/admin/catalogue/{a.id}", data=data)
    db.expire_all()
    again = import_catalogue(db, export_catalogue(db))
    assert not again.changed  # the stored catalogue is a fixed point of the import
    entry = next(e for e in export_catalogue(db)["activities"] if e["key"] == KEY)
    assert entry["talk_cap"] == 3 and entry["fields"][0]["required"] is False


def test_an_edit_is_in_the_admin_log_with_before_and_after(client, db, people):
    _admin(people, db)
    a = activity(db, KEY)
    data = _form(client, a.id)
    data["name"] = "Allvarssamtal"
    client.post(f"/admin/catalogue/{a.id}", data=data)
    (row,) = _log(db, "catalogue.activity")
    assert row.target == KEY
    assert row.before == {"name": "Allvarssamtal med enskild"}
    assert row.after == {"name": "Allvarssamtal"}


def test_bad_activity_input_is_shown_at_each_field_with_the_text_kept(client, db, people):
    _admin(people, db)
    a = activity(db, KEY)
    data = _form(client, a.id)
    data.update({"name": "  ", "age_min": "tretton", "age_max": "5", "f0_kind": "choice",
                 "f0_options": "", "f1_min": "9", "f1_max": "2", "talk_cap": "0",
                 "target_group": "Unga i centrum", "units": []})
    response = client.post(f"/admin/catalogue/{a.id}", data=data)
    assert response.status_code == 422
    page = soup(response)
    for name in ("name", "age_min", "f0_options", "f1_max", "talk_cap", "units"):
        assert page.select_one(f"#err-{name}"), name
    assert page.select_one("#a-target")["value"] == "Unga i centrum"
    assert page.select_one("#f1_min")["value"] == "9"
    assert page.select_one("details#field-0").has_attr("open")  # the mistake is in view


def test_a_new_activity_needs_a_slug_and_gets_its_first_version(client, db, people):
    _admin(people, db)
    unit = people.unit("Fältgruppen")
    data = {"key": "Nytt Namn!", "name": "Ny verksamhet", "level": "aggregate",
            "units": [str(unit.id)], "active": "1", "field_count": "0",
            "f0_key": "gender", "f0_kind": "choice", "f0_label": "Kön",
            "f0_options": "Kvinna\nMan", "f0_required": "1"}
    response = client.post("/admin/catalogue/new", data=data)
    assert response.status_code == 422
    assert soup(response).select_one("#err-key")
    data["key"] = "ny-verksamhet"
    assert client.post("/admin/catalogue/new", data=data).status_code == 302
    new = activity(db, "ny-verksamhet")
    assert base_field_set(db, new.id).version == 1
    assert client.post("/admin/catalogue/new", data=data).status_code == 422  # key taken


def test_a_choice_field_without_options_is_refused_at_its_options(client, db, people):
    _admin(people, db)
    a = activity(db, KEY)
    data = _form(client, a.id)
    data.update({f"f{data['field_count']}_key": "extra", f"f{data['field_count']}_kind": "multi",
                 f"f{data['field_count']}_options": "   "})
    response = client.post(f"/admin/catalogue/{a.id}", data=data)
    assert response.status_code == 422
    assert soup(response).select_one(f"#err-f{data['field_count']}_options")


def test_the_exported_file_imports_without_a_change(client, db, people):
    _admin(people, db)
    response = client.get("/admin/catalogue/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = yaml.safe_load(response.get_data(as_text=True))
    assert not import_catalogue(db, data).changed


def _upload(client, text: str, name: str = "catalogue.yaml"):
    return client.post("/admin/catalogue/import", data={
        "file": (io.BytesIO(text.encode()), name)}, content_type="multipart/form-data")


def test_an_uploaded_file_with_a_changed_field_makes_a_new_version(client, db, people):
    _admin(people, db)
    a = activity(db, KEY)
    before = base_field_set(db, a.id).version
    data = export_catalogue(db)
    entry = next(e for e in data["activities"] if e["key"] == KEY)
    entry["fields"][0]["label"] = "Kön (ny rubrik)"
    response = _upload(client, yaml.safe_dump(data, allow_unicode=True))
    assert response.status_code == 200
    assert "1 nya fältversioner" in text_of(soup(response).select_one("#import-report"))
    db.expire_all()
    assert base_field_set(db, a.id).version == before + 1
    assert _log(db, "catalogue.import")[0].after["versions"] == [f"{KEY} v{before + 1}"]


def test_a_yaml_syntax_error_is_shown_with_its_line(client, db, people):
    _admin(people, db)
    response = _upload(client, "format: nara-catalogue/1\nactivities:\n  - key: x\n    name: [\n")
    assert response.status_code == 422
    error = text_of(soup(response).select_one("#err-file"))
    assert "Rad 5" in error or "Rad 4" in error
    assert "Inget har importerats" in error


def test_an_import_rule_error_points_at_the_field_line_and_imports_nothing(client, db, people):
    _admin(people, db)
    data = export_catalogue(db)
    entry = next(e for e in data["activities"] if e["key"] == KEY)
    entry["name"] = "Ändrat namn"
    entry["fields"][1]["kind"] = "dropdown"
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    response = _upload(client, text)
    assert response.status_code == 422
    error = soup(response).select_one("#err-file")
    line = int(text_of(error).split("Rad ", 1)[1].split(":", 1)[0])
    assert text.splitlines()[line - 1].strip() == f"- key: {entry['fields'][1]['key']}"
    db.expire_all()
    assert activity(db, KEY).name != "Ändrat namn"


def test_files_that_are_not_catalogues_are_refused_at_the_field(client, db, people):
    _admin(people, db)
    for text, name in (("", "c.yaml"), ("format: other/1\n", "c.yaml"),
                       ('{"format": "nara-catalogue/1", "activities": [', "c.json"),
                       ("format: nara-catalogue/1\nactivities: 7\n", "c.yaml"),
                       ("format: nara-catalogue/1\nactivities:\n  - key: a\n    units: 5\n",
                        "c.yaml")):
        response = _upload(client, text, name)
        assert response.status_code == 422, text
        assert soup(response).select_one("#err-file"), text
    bad = client.post("/admin/catalogue/import", data={
        "file": (io.BytesIO(b"\xff\xfe\x00"), "c.yaml")}, content_type="multipart/form-data")
    assert bad.status_code == 422


def test_a_manager_keeps_the_units_option_lists_but_not_the_catalogue(client, db, people):
    load_catalogue(db)
    unit = people.unit("Fältgruppen")
    people.login(people.user("chef", "manager", [unit]))
    assert client.get("/admin/catalogue").status_code == 403
    assert client.get(f"/units/{unit.id}/tally-options").status_code == 200
    response = client.post(f"/units/{unit.id}/tally-options", data={
        "list_key": "problem_area", "options": "Skola\nBeroende\n"})
    assert response.status_code == 303


def test_an_idle_limit_change_is_logged_with_before_and_after(client, db, people):
    _admin(people, db)
    unit = people.unit("Mötesplatsen")
    response = client.post(f"/admin/settings/units/{unit.id}/idle",
                           data={"idle_days": "60", "grace_days": "14"})
    assert response.status_code == 302
    (row,) = _log(db, "setting.notes_idle")
    assert (row.target, row.before, row.after) == (
        "Mötesplatsen", {"idle_days": 90}, {"idle_days": 60})


def test_a_bad_idle_limit_is_a_field_error_with_the_value_kept(client, db, people):
    _admin(people, db)
    unit = people.unit("Mötesplatsen")
    response = client.post(f"/admin/settings/units/{unit.id}/idle",
                           data={"idle_days": "9999", "grace_days": "-1"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#err-idle_days") and page.select_one("#err-grace_days")
    assert page.select_one("#idle-days")["value"] == "9999"
    assert _log(db, "setting.notes_idle") == []


def test_quick_phrases_added_and_removed_by_an_admin_are_logged(client, db, people):
    _admin(people, db)
    unit = people.unit("Hemtjänst Norr")
    assert client.post(f"/admin/settings/units/{unit.id}/phrases",
                       data={"text": ""}).status_code == 422
    client.post(f"/admin/settings/units/{unit.id}/phrases", data={"text": "Bytte lakan."})
    page = soup(client.get(f"/admin/settings/units/{unit.id}"))
    action = page.select_one("#phrases form")["action"]
    client.post(action)
    assert [r.after for r in _log(db, "setting.phrase_add")] == [{"text": "Bytte lakan."}]
    assert [r.before for r in _log(db, "setting.phrase_remove")] == [{"text": "Bytte lakan."}]


def test_the_settings_page_shows_each_setting_with_its_value_and_source(client, db, people):
    _admin(people, db)
    page = soup(client.get("/admin/settings"))
    assert text_of(page.select_one("#session-idle")) == "30 minuter"
    assert text_of(page.select_one("#session-max")) == "12 timmar"
    assert "SESSION_IDLE_MINUTES" in text_of(page)
    assert any("Underlag 002" in t or "Seed 002" in t
               for t in texts(client.get("/admin/settings"), "#retention-periods li"))


def test_a_password_reset_is_logged_without_the_password(client, db, people):
    _admin(people, db)
    fia = people.user("fia")
    client.post(f"/admin/users/{fia.id}/password", data={"password": "hemligt-lösen-123"})
    (row,) = _log(db, "user.password")
    assert row.target == "fia" and row.before is None and row.after is None
    csv_text = client.get("/admin/log.csv").get_data(as_text=True)
    page = client.get("/admin/log").get_data(as_text=True)
    assert "hemligt-lösen-123" not in csv_text + page


def test_role_and_unit_changes_are_logged_with_before_and_after(client, db, people):
    _admin(people, db)
    unit = people.unit("Fältgruppen")
    fia = people.user("fia")
    client.post(f"/admin/users/{fia.id}/role", data={"role": "manager"})
    client.post(f"/admin/users/{fia.id}/units", data={"units": [str(unit.id)]})
    assert [(r.before, r.after) for r in _log(db, "user.role")] == [
        ({"role": "staff"}, {"role": "manager"})]
    assert [(r.before, r.after) for r in _log(db, "user.units")] == [
        ({"units": []}, {"units": ["Fältgruppen"]})]


def test_the_log_exports_as_csv_with_no_formula_cells(client, db, people):
    _admin(people, db)
    client.post("/admin/units", data={"name": "=HYPERLINK(\"x\")"})
    response = client.get("/admin/log.csv")
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["at_utc", "who", "action", "target", "before", "after"]
    assert rows[1][2] == "unit.create" and rows[1][3].startswith("'=")


def test_deactivation_without_the_confirmation_changes_nothing(client, db, people):
    _admin(people, db)
    fia = people.user("fia")
    response = client.post(f"/admin/users/{fia.id}/active", data={"active": "0"})
    assert response.status_code == 422
    assert soup(response).select_one("#err-confirm")
    db.expire_all()
    assert db.get(type(fia), fia.id).active
    assert _log(db, "user.active") == []


def test_the_people_list_is_links_and_the_forms_are_elsewhere(client, db, people):
    _admin(people, db)
    page = soup(client.get("/admin/"))
    assert page.select_one("input[name=username]") is None
    assert page.select_one("input[name=name]") is None
    assert all(a["href"].startswith("/admin/users/") for a in page.select("#people a"))
    assert page.select_one("#people-q") is None  # few people: no search box


def test_more_than_twenty_people_get_a_search_box_that_filters(client, db, people):
    _admin(people, db)
    for n in range(21):
        people.user(f"person{n:02d}", name=f"Person {n:02d}")
    people.user("zelda", name="Zelda Söksson")
    page = soup(client.get("/admin/"))
    assert page.select_one("#people-q")
    found = client.post("/admin/", data={"q": "söks"})
    assert [text_of(a.select_one(".link-row-title")) for a in soup(found).select("#people a")] \
        == ["Zelda Söksson"]


def test_the_person_page_shows_role_units_last_sign_in_and_the_idp_spot(client, db, people):
    _admin(people, db)
    fia = people.user("fia", units=["Fältgruppen"])
    people.login("fia", client.application.test_client())
    page = soup(client.get(f"/admin/users/{fia.id}"))
    facts = text_of(page.select_one("#person-facts"))
    assert "Fältgruppen" in facts and "Personal" in facts
    assert text_of(page.select_one("#last-sign-in")) != "aldrig"
    assert page.select_one("#live-sessions li")
    assert page.select_one(".danger-zone #deactivate-link")


def test_no_admin_route_answers_500_to_nonsense(client, db, people):
    _admin(people, db)
    a = activity(db, KEY)
    fia = people.user("fia")
    for url, data in (
        (f"/admin/catalogue/{a.id}", {"field_count": "99999", "f0_min": "1e9"}),
        (f"/admin/catalogue/{a.id}", {"field_count": "-1", "units": ["x"], "level": "?"}),
        ("/admin/catalogue/new", {}),
        ("/admin/catalogue/import", {}),
        (f"/admin/users/{fia.id}/active", {"active": "maybe"}),
        ("/admin/", {"q": "x" * 5000}),
        ("/admin/log", {"q": "%_\\"}),
        (f"/admin/settings/units/{people.unit('Fältgruppen').id}/phrases",
         {"text": "x", "category": "nope"}),
    ):
        assert client.post(url, data=data).status_code < 500, url
    assert client.get("/admin/catalogue/999999").status_code == 404


def test_a_retention_period_changed_by_an_admin_is_in_the_admin_log(client, db, people):
    _admin(people, db)
    response = client.post("/records/periods", data={
        "kind": "service", "years": "3", "source": "Beslut i nämnden 2026-11-30"})
    assert response.status_code == 302
    (row,) = _log(db, "setting.retention")
    assert row.target == "service"
    assert row.after == {"years": 3, "source": "Beslut i nämnden 2026-11-30"}
    assert row.before["years"] == 2


# --- gaps found in the audit of issue 17 §2 -----------------------------------------------


def test_every_part_of_an_activity_edited_in_the_browser_is_stored(client, db, people):
    """Name, target group and ages, units, level, a field's kind, options, min/max and
    required, and the talk cap: all of them reach the catalogue the importer keeps."""
    _admin(people, db)
    second = people.unit("Fältgruppen Syd")
    a = activity(db, KEY)
    data = _form(client, a.id)
    new = data["field_count"]
    data.update({"target_group": "Unga 12–20 år", "age_min": "12", "age_max": "20",
                 "units": data["units"] + [str(second.id)], "level": "notes",
                 "talk_cap": "4", f"f{new}_key": "meetings", f"f{new}_kind": "count",
                 f"f{new}_label": "Antal träffar", f"f{new}_min": "1", f"f{new}_max": "6",
                 f"f{new}_required": "1"})
    assert client.post(f"/admin/catalogue/{a.id}", data=data).status_code == 302
    db.expire_all()
    entry = next(e for e in export_catalogue(db)["activities"] if e["key"] == KEY)
    assert (entry["target_group"], entry["age_min"], entry["age_max"]) == (
        "Unga 12–20 år", 12, 20)
    assert "Fältgruppen Syd" in entry["units"]
    assert (entry["level"], entry["talk_cap"]) == ("notes", 4)
    added = entry["fields"][-1]
    assert (added["key"], added["kind"], added["min"], added["max"], added["required"]) == (
        "meetings", "count", 1, 6, True)


def test_the_log_page_shows_who_what_and_the_values_before_and_after(client, db, people):
    _admin(people, db)
    unit = people.unit("Mötesplatsen")
    client.post(f"/admin/settings/units/{unit.id}/idle",
                data={"idle_days": "60", "grace_days": "14"})
    entry = soup(client.get("/admin/log")).select_one("#admin-log li")
    said = text_of(entry)
    assert "Gräns för vilande kontakter" in said and "Mötesplatsen" in said
    assert "Ada" in said  # who
    assert entry.select_one(".before").get_text(strip=True).endswith("90")
    assert entry.select_one(".after").get_text(strip=True).endswith("60")


def test_the_log_search_narrows_the_changes(client, db, people):
    _admin(people, db)
    assert client.post("/admin/units", data={"name": "Öppna förskolan"}).status_code == 302
    assert client.post("/admin/units", data={"name": "Nattpatrullen"}).status_code == 302
    found = soup(client.post("/admin/log", data={"q": "öppna"}))
    assert [text_of(li.select_one("strong")) for li in found.select("#admin-log li")] == [
        "Enhet skapad"]
    assert "Öppna förskolan" in text_of(found.select_one("#admin-log"))
    assert "Nattpatrullen" not in text_of(found.select_one("#admin-log"))


def test_a_new_persons_first_password_is_never_in_the_log(client, db, people):
    _admin(people, db)
    client.post("/admin/users", data={"username": "ny", "display_name": "Ny Person",
                                      "role": "staff", "password": "första-lösenordet-9"})
    (row,) = _log(db, "user.create")
    assert row.target == "ny"
    shown = client.get("/admin/log").get_data(as_text=True)
    exported = client.get("/admin/log.csv").get_data(as_text=True)
    assert "första-lösenordet-9" not in shown + exported + str(row.before) + str(row.after)


def test_a_confirmed_deactivation_is_logged_with_before_and_after(client, db, people):
    _admin(people, db)
    fia = people.user("fia")
    response = client.post(f"/admin/users/{fia.id}/active",
                           data={"active": "0", "confirm": "yes"})
    assert response.status_code == 302
    (row,) = _log(db, "user.active")
    assert (row.target, row.before, row.after) == ("fia", {"active": True}, {"active": False})


def test_the_seeded_retention_sources_read_in_swedish(client, db, people):
    _admin(people, db)
    sources = texts(client.get("/admin/settings"), "#retention-periods .setting-source")
    assert len(sources) == 4
    assert not [s for s in sources if s.startswith(("Seed", "Issue"))]
    assert "Underlag 002: serviceinsatser sparas 2 år efter den sista anteckningen." in sources
