"""The activity catalogue: every row of seed 001, versioned field sets, import/export."""

from __future__ import annotations

import copy

import pytest
from sqlmodel import select

from models.catalogue import (
    ADULT_BANDS,
    DEFAULT_FILE,
    Activity,
    FieldSet,
    Level,
    activities_of_user,
    current_field_set,
    export_catalogue,
    import_catalogue,
    load_file,
    set_unit_options,
    spec_of,
    unit_options,
    units_of_activity,
)
from models.core.errors import DomainError
from models.tally import record_tally, values_of
from tests.tally_helpers import CASES, NOT_TALLIED, activity, load_catalogue, member_of

# seed 001, row by row: (name, responsible units as the seed names them, level)
SEED_001 = [
    ("Enskilda samtal kuratorer", ["Familjecentral"], "notes"),
    ("Spädbarnsmassage", ["Familjecentral"], "aggregate"),
    ("Föräldrastödsgrupp", ["Familjecentral"], "aggregate"),
    ("Gemensamma hembesök tillsammans med BHV", ["Familjecentral"], "aggregate"),
    ("Allvarssamtal med enskild", ["Fältare"], "aggregate"),
    ("Uppsökande verksamhet", ["Fältare"], "exempt"),
    ("Gruppverksamhet", ["Fältare"], "aggregate"),
    ("Enskilda samtal kuratorer", ["Ungdomsmottagningen"], "notes"),
    ("Uppsökande verksamhet", ["Ungdomsmottagningen"], "aggregate"),
    ("Gruppverksamhet", ["Ungdomsmottagningen"], "aggregate"),
    ("Råd och stöd", ["Familj- och ungdomsteamet", "Mötesplats", "Mottaget MY"], "notes"),
    ("Gruppverksamhet", ["Familj- och ungdomsteamet"], "aggregate"),
    ("Gruppverksamhet", ["Öppenvården"], "aggregate"),
    ("Rörligt elevstöd", ["Rörligt elevstöd"], "notes"),
    ("Anhörigstöd skadligt bruk eller beroende/psykisk ohälsa", ["Mötesplats"], "notes"),
    ("Uppsökande verksamhet", ["Mötesplats"], "aggregate"),
    ("Öppen verksamhet Mötesplats", ["Mötesplats"], "aggregate"),
    ("Trygghetslarm ordinärt boende", ["Äldreomsorgen"], "case_system"),
]


def test_catalogue_file_holds_every_row_of_seed_001_in_order():
    data = load_file(DEFAULT_FILE)
    rows = [(a["name"], a["units"], a["level"]) for a in data["activities"]]
    assert rows == SEED_001
    keys = {a["key"] for a in data["activities"]}
    assert keys == set(CASES) | set(NOT_TALLIED)


def test_import_creates_every_activity_with_units_and_levels(db):
    load_catalogue(db)
    activities = db.exec(select(Activity).order_by(Activity.position)).all()
    assert [(a.name, a.level) for a in activities] == [(n, lvl) for n, _u, lvl in SEED_001]
    for a in activities:
        assert units_of_activity(db, a.id), f"{a.key} has no unit"
    rad = activity(db, "rad-och-stod")
    assert {u.name for u in units_of_activity(db, rad.id)} == {
        "Familj- och ungdomsteamet", "Mötesplatsen", "Mottaget MY"}
    assert rad.talk_cap == 5


def test_seed_001_field_lists_are_kept_exactly(db):
    load_catalogue(db)

    def labels(key):
        fs = current_field_set(db, activity(db, key), None)
        return [f.label for f in spec_of(db, fs.id).fields]

    assert labels("familjecentral-enskilda-samtal") == [
        "Antal samtal", "Kön", "Ålder vuxen", "Antal barn", "Sammanboende/ensamstående",
        "Problematik", "Väg in", "Ytterligare åtgärder"]
    assert labels("familjecentral-spadbarnsmassage") == ["Kön vuxen", "Ålder vuxen", "Väg in"]
    assert labels("familjecentral-hembesok-bhv") == ["Antal hembesök"]
    assert labels("faltare-gruppverksamhet") == ["Antal träffar", "Antal vuxna",
                                                 "Antal barn och kön"]
    assert labels("rad-och-stod") == ["Antal samtal", "Kön", "Ålder barn", "Antal barn",
                                      "Problematik", "Väg in", "Ytterligare åtgärder"]
    assert labels("motesplats-anhorigstod") == ["Antal samtal", "Kön", "Relation till anhörig",
                                                "Problematik", "Väg in", "Ytterligare åtgärder"]
    assert labels("motesplats-uppsokande") == ["Antal tillfällen", "Kön"]
    assert labels("motesplats-oppen-verksamhet") == ["Antal besökande och kön"]


def test_home_visits_are_one_to_three_and_talks_default_to_one(db):
    load_catalogue(db)
    visits = spec_of(db, current_field_set(db, activity(db, "familjecentral-hembesok-bhv"),
                                           None).id).field("home_visits")
    assert (visits.min, visits.max, visits.required) == (1, 3, True)
    talks = spec_of(db, current_field_set(db, activity(db, "familjecentral-enskilda-samtal"),
                                          None).id).field("talks")
    assert talks.default == "1"


def test_adult_ages_are_five_year_bands_and_youth_ages_years_in_the_target_group(db):
    load_catalogue(db)
    fc = spec_of(db, current_field_set(db, activity(db, "familjecentral-enskilda-samtal"),
                                       None).id)
    codes = [o.code for o in fc.field("age_adult").options]
    assert codes == [c for c, _sv, _en in ADULT_BANDS]
    assert codes[:4] == ["u18", "18-19", "20-24", "25-29"] and codes[-1] == "80+"
    fa = spec_of(db, current_field_set(db, activity(db, "faltare-allvarssamtal"), None).id)
    assert [o.code for o in fa.field("age_individual").options] == [
        str(a) for a in range(13, 22)]
    um = spec_of(db, current_field_set(db, activity(db, "ungdomsmottagningen-uppsokande"),
                                       None).id)
    assert um.field("age_individual").options[-1].code == "25"


def test_route_in_offers_the_swedish_defaults(db):
    load_catalogue(db)
    spec = spec_of(db, current_field_set(db, activity(db, "faltare-allvarssamtal"), None).id)
    assert [o.label for o in spec.field("route_in").options] == [
        "BVC/BHV", "Skola", "Socialtjänst", "Egen kontakt", "Anhörig", "Polis", "Annan"]


@pytest.mark.parametrize("key", NOT_TALLIED)
def test_exempt_and_case_system_activities_have_no_form_but_keep_the_reason(db, key):
    load_catalogue(db)
    a = activity(db, key)
    assert a.level in (Level.exempt, Level.case_system)
    assert current_field_set(db, a, None) is None
    assert a.note and not a.loggable


def test_importing_twice_changes_nothing(db):
    load_catalogue(db)
    before = db.exec(select(FieldSet)).all()
    report = import_catalogue(db, load_file(DEFAULT_FILE), {"Fältare": "Fältgruppen",
                                                           "Familjecentral": "Familjecentralen",
                                                           "Mötesplats": "Mötesplatsen"})
    assert not report.changed
    assert len(db.exec(select(FieldSet)).all()) == len(before)


def test_export_reimports_without_a_single_change(db, tmp_path):
    load_catalogue(db)
    exported = export_catalogue(db)
    assert len(exported["activities"]) == 18
    from models.catalogue import dump

    for name in ("catalogue.yaml", "catalogue.json"):
        dump(exported, tmp_path / name)
        report = import_catalogue(db, load_file(tmp_path / name))
        assert not report.changed, report


def test_changing_an_option_list_makes_a_new_version_and_old_tallies_keep_theirs(db, people):
    load_catalogue(db)
    fia = member_of(people, db, "faltare-allvarssamtal", "fia")
    a = activity(db, "faltare-allvarssamtal")
    old, _ = record_tally(db, fia, a, CASES[a.key][0], "6d2c1a8e-7d36-4a8f-9d8e-1f7c1b1b0001")
    db.commit()
    data = load_file(DEFAULT_FILE)
    data["option_lists"]["route_in"]["options"] = [
        o for o in data["option_lists"]["route_in"]["options"] if o["code"] != "polis"
    ] + [{"code": "fritid", "label": "Fritidsgård"}]
    report = import_catalogue(db, data, {"Fältare": "Fältgruppen",
                                         "Familjecentral": "Familjecentralen",
                                         "Mötesplats": "Mötesplatsen"})
    db.commit()
    assert "faltare-allvarssamtal v2" in report.new_versions
    new_fs = current_field_set(db, a, None)
    assert new_fs.id != old.field_set_id and new_fs.version == 2
    assert spec_of(db, old.field_set_id).field("route_in").option("polis").label == "Polis"
    assert values_of(db, [old])[old.id]["route_in"] == "polis"
    with pytest.raises(DomainError):
        record_tally(db, fia, a, CASES[a.key][0], "6d2c1a8e-7d36-4a8f-9d8e-1f7c1b1b0002")


def test_a_unit_can_replace_its_problem_areas_without_touching_other_units(db, people):
    load_catalogue(db)
    rad = activity(db, "rad-och-stod")
    units = {u.name: u for u in units_of_activity(db, rad.id)}
    mp, fut = units["Mötesplatsen"], units["Familj- och ungdomsteamet"]
    set_unit_options(db, mp.id, "problem_area", [
        {"code": "spel", "label": "Spelproblem"}, {"code": "annat", "label": "Annat"}])
    db.commit()
    assert unit_options(db, mp.id)["problem_area"][0]["code"] == "spel"
    mp_spec = spec_of(db, current_field_set(db, rad, mp.id).id)
    fut_spec = spec_of(db, current_field_set(db, rad, fut.id).id)
    assert [o.code for o in mp_spec.field("problem_area").options] == ["spel", "annat"]
    assert fut_spec.field("problem_area").option("vald") is not None
    set_unit_options(db, mp.id, "problem_area", None)
    assert current_field_set(db, rad, mp.id).id == current_field_set(db, rad, None).id


def test_a_unit_cannot_edit_the_gender_list(db):
    load_catalogue(db)
    unit = units_of_activity(db, activity(db, "rad-och-stod").id)[0]
    with pytest.raises(DomainError):
        set_unit_options(db, unit.id, "gender", [{"code": "k", "label": "Kvinna"}])


@pytest.mark.parametrize("breakage", [
    lambda d: d["activities"][0].update(level="secret"),
    lambda d: d["fields"]["home_visits"].update(default=4),
    lambda d: d["activities"][5].update(fields=["gender"]),
    lambda d: d["option_lists"]["gender"]["options"].append({"code": "Fri text!", "label": "x"}),
    lambda d: d["activities"][1].update(key=d["activities"][0]["key"]),
])
def test_a_broken_catalogue_file_is_refused(db, breakage):
    data = copy.deepcopy(load_file(DEFAULT_FILE))
    breakage(data)
    with pytest.raises(DomainError):
        import_catalogue(db, data, create_units=True)


def test_import_refuses_an_unknown_unit_unless_asked_to_create_it(db):
    with pytest.raises(DomainError):
        import_catalogue(db, load_file(DEFAULT_FILE))


def test_staff_see_only_their_units_activities(db, people):
    load_catalogue(db)
    fia = member_of(people, db, "faltare-allvarssamtal", "fia")
    assert [a.key for a in activities_of_user(db, fia)] == [
        "faltare-allvarssamtal", "faltare-uppsokande", "faltare-gruppverksamhet"]
