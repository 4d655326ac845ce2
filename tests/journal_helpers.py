"""A small home-care unit for the journal tests: two staff, a manager, a client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from models.core.clock import local_today
from models.journal.people import (
    ConsentInput,
    assign_staff,
    create_client,
    open_assignment,
    record_consent,
)
from models.journal.plans import GoalInput, save_plan
from models.journal.tables import Assignment, Client

PNR = "19380515-2380"  # Luhn-valid, born on the 15th


@dataclass
class Home:
    unit: object
    hanna: object  # assigned
    hugo: object  # same unit, not assigned
    olle: object  # other unit
    maja: object  # manager of the unit
    mats: object  # manager of the other unit
    admin: object
    client: Client
    assignment: Assignment


def consent_input(days: int = 180, **extra) -> ConsentInput:
    today = local_today()
    data = dict(given_on=today.isoformat(), given_how="written",
                valid_until=(today + timedelta(days=days)).isoformat(),
                relatives="Dottern, om tider", purpose="Samordning")
    data.update(extra)
    return ConsentInput(**data)


def make_home(people, kind: str = "sol", consent: bool = True, plan: bool = True) -> Home:
    db = people.db
    unit = people.unit("Hemtjänst Test")
    other = people.unit("Annan enhet")
    hanna = people.user("hanna", units=[unit])
    hugo = people.user("hugo", units=[unit])
    olle = people.user("olle", units=[other])
    maja = people.user("maja", "manager", [unit])
    mats = people.user("mats", "manager", [other])
    admin = people.user("ada", "admin")
    today = local_today()
    client = create_client(db, unit, "Astrid Test", PNR)
    assignment = open_assignment(db, client, kind, "Hemtjänst", today - timedelta(days=30),
                                 None if kind == "service" else today - timedelta(days=35))
    assign_staff(db, client, hanna, today - timedelta(days=30))
    if consent:
        record_consent(db, hanna, client, assignment, consent_input())
    if plan:
        save_plan(db, hanna, assignment,
                  [GoalInput(life_area="self_care", goal="Duscha själv"),
                   GoalInput(life_area="domestic_life", goal="Laga frukost")],
                  "Astrid, Hanna", "Deltog, vill ha besök före nio", today + timedelta(days=90))
    db.commit()
    return Home(unit, hanna, hugo, olle, maja, mats, admin, client, assignment)
