"""Shared set-up for the tally tests: the seed-001 catalogue, units and people."""

from __future__ import annotations

from sqlmodel import select

from models.catalogue import DEFAULT_FILE, Activity, import_catalogue, load_file
from models.demo.tally import DEMO_UNIT_MAP

# One valid and one invalid submission per activity of seed 001 that keeps tallies.
# The invalid one breaks a rule from the seed (range, list, required) and names the field.
CASES = {
    "familjecentral-enskilda-samtal": (
        {"talks": 1, "gender": "k", "age_adult": "30-34", "children": 2,
         "household": "ensamstaende", "problem_area": "foraldraskap", "route_in": "bvc",
         "further_actions": ["hanvisning"]},
        {"talks": 1, "gender": "k", "age_adult": "31", "children": 2,
         "household": "ensamstaende", "problem_area": "foraldraskap", "route_in": "bvc"},
        "age_adult",
    ),
    "familjecentral-spadbarnsmassage": (
        {"gender_adult": "m", "age_adult": "u18", "route_in": "bvc"},
        {"gender_adult": "m", "age_adult": "25-29"},
        "route_in",
    ),
    "familjecentral-foraldrastodsgrupp": (
        {"gender_adult": "k", "age_adult": "80+", "children": 3, "household": "sammanboende",
         "route_in": "socialtjanst"},
        {"gender_adult": "k", "age_adult": "40-44", "children": 16,
         "household": "sammanboende", "route_in": "socialtjanst"},
        "children",
    ),
    "familjecentral-hembesok-bhv": (
        {"home_visits": 3},
        {"home_visits": 4},
        "home_visits",
    ),
    "faltare-allvarssamtal": (
        {"gender_young": "k", "age_individual": "13", "problem_area": "beroende",
         "route_in": "polis"},
        {"gender_young": "k", "age_individual": "12", "problem_area": "beroende",
         "route_in": "polis"},
        "age_individual",
    ),
    "faltare-gruppverksamhet": (
        {"meetings": 1, "adults": 2, "children_by_gender": {"k": 4, "m": 3, "x": 0}},
        {"meetings": 1, "adults": 2, "children_by_gender": {"k": 0, "m": 0}},
        "children_by_gender",
    ),
    "ungdomsmottagningen-enskilda-samtal": (
        {"talks": 2, "gender_young": "x", "age_individual": "25", "problem_area": "psykisk_ohalsa",
         "route_in": "egen"},
        {"talks": 2, "gender_young": "x", "age_individual": "26",
         "problem_area": "psykisk_ohalsa", "route_in": "egen"},
        "age_individual",
    ),
    "ungdomsmottagningen-uppsokande": (
        {"age_individual": "17", "gender_young": "m"},
        {"age_individual": "17", "gender_young": "pojke"},
        "gender_young",
    ),
    "ungdomsmottagningen-gruppverksamhet": (
        {"meetings": 2, "children_by_gender": {"k": 6}},
        {"meetings": 0, "children_by_gender": {"k": 6}},
        "meetings",
    ),
    "rad-och-stod": (
        {"talks": 1, "gender": "k", "age_child": "7", "children": 1, "problem_area": "vald",
         "route_in": "anhorig", "further_actions": ["orosanmalan", "samverkan"]},
        {"talks": 1, "gender": "k", "age_child": "7", "children": 1, "problem_area": "vald",
         "route_in": "anhorig", "further_actions": ["ring polisen"]},
        "further_actions",
    ),
    "familj-och-ungdomsteamet-gruppverksamhet": (
        {"meetings": 1, "children_by_gender": {"m": 5}},
        {"meetings": 1, "children_by_gender": {"m": -1}},
        "children_by_gender",
    ),
    "oppenvarden-gruppverksamhet": (
        {"gender": "m", "age_adult": "35-39", "children": 2, "household": "ensamstaende",
         "route_in": "skola"},
        {"gender": "m", "age_adult": "35-39", "children": 2, "household": "gift",
         "route_in": "skola"},
        "household",
    ),
    "rorligt-elevstod": (
        {"age_individual": "foralder", "gender": "k", "problem_area": "skola"},
        {"age_individual": "17", "gender": "k", "problem_area": "skola"},
        "age_individual",
    ),
    "motesplats-anhorigstod": (
        {"talks": 1, "gender": "k", "relation": "partner", "problem_area": "beroende",
         "route_in": "egen", "further_actions": []},
        {"talks": 1, "gender": "k", "problem_area": "beroende", "route_in": "egen"},
        "relation",
    ),
    "motesplats-uppsokande": (
        {"occasions": 2, "gender": "m"},
        {"occasions": "två", "gender": "m"},
        "occasions",
    ),
    "motesplats-oppen-verksamhet": (
        {"visitors_by_gender": {"k": 7, "m": 5, "x": 1}},
        {"visitors_by_gender": {"k": 201}},
        "visitors_by_gender",
    ),
}
NOT_TALLIED = ("faltare-uppsokande", "aldreomsorgen-trygghetslarm")


def load_catalogue(session) -> None:
    import_catalogue(session, load_file(DEFAULT_FILE), DEMO_UNIT_MAP, create_units=True)
    session.commit()


def activity(session, key: str) -> Activity:
    return session.exec(select(Activity).where(Activity.key == key)).one()


def member_of(people, session, key: str, username: str = "worker", role: str = "staff"):
    """A user in the (first) unit responsible for the activity `key`."""
    from models.catalogue import units_of_activity

    unit = units_of_activity(session, activity(session, key).id)[0]
    return people.user(username, role, [unit])

