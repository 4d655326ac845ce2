"""Social journal: a client of unit A with staff_a assigned. Only staff_a and manager_a see
it; staff_a2 (same unit, not assigned), staff_b, manager_b and admin get 404."""

from __future__ import annotations

from datetime import timedelta

from models.core.clock import local_today
from models.journal.entries import add_entry
from models.journal.people import (
    ConsentInput,
    assign_staff,
    create_client,
    current_consent,
    open_assignment,
    record_consent,
)
from models.journal.plans import GoalInput, current_goals, save_plan
from models.journal.shift import add_phrase
from tests.access_cases import Case

CONCERNED = frozenset({"staff_a", "manager_a"})
MANAGER_A = frozenset({"manager_a"})
MANAGERS = frozenset({"manager_a", "manager_b"})


def build(world):
    session = _session(world)
    today = local_today()
    unit = world.units["A"]
    client = create_client(session, unit, "Klient Access", "19121212-1212")
    assignment = open_assignment(session, client, "sol", "Hemtjänst", today - timedelta(days=30))
    assign_staff(session, client, world.users["staff_a"], today - timedelta(days=30))
    record_consent(session, world.users["staff_a"], client, assignment, ConsentInput(
        given_on=today.isoformat(), given_how="written",
        valid_until=(today + timedelta(days=90)).isoformat(), purpose="Samordning"))
    save_plan(session, world.users["staff_a"], assignment,
              [GoalInput(life_area="self_care", goal="Duscha själv")], "Klienten, personal",
              "Deltog", today + timedelta(days=60))
    entry, _ = add_entry(session, world.users["staff_a"], client, assignment.id, "action",
                         "Besöket genomfört.")
    other = create_client(session, unit, "Klient Två", "19800101-0001")
    open_assignment(session, other, "sol", "Hemtjänst", today - timedelta(days=3))
    row = assign_staff(session, other, world.users["staff_a2"], today - timedelta(days=3))
    phrase = add_phrase(session, unit, "Besöket genomfört enligt plan.", "action")
    consent = current_consent(session, client)
    world.objects.update(
        client=client.id, assignment=assignment.id, entry=entry.id, staff_row=row.id,
        other=other.id, phrase=phrase.id, consent=consent.id,
        goal_key=current_goals(session, assignment)[0].key, unit_a=unit.id)
    session.commit()


def _session(world):
    from sqlalchemy.orm import object_session

    return object_session(world.users["staff_a"])


def _c(path):
    return lambda w: path.format(**w.objects)


TODAY = lambda _w: local_today().isoformat()  # noqa: E731

CASES = {
    "journal.thread": Case(_c("/journal/{client}"), CONCERNED),
    "journal.add_entry": Case(_c("/journal/{client}/entries"), CONCERNED, "POST", lambda w: {
        "assignment": w.objects["assignment"], "category": "action", "when": "now",
        "text": "Besöket genomfört enligt plan."}),
    "journal.entry": Case(_c("/journal/{client}/entries/{entry}"), CONCERNED),
    "journal.correct": Case(_c("/journal/{client}/entries/{entry}/correct"), CONCERNED, "POST",
                            {"text": "Rättelse: besöket var kl. 9."}),
    "journal.disagree": Case(_c("/journal/{client}/entries/{entry}/disagree"), CONCERNED,
                             "POST", {"text": "Klienten menar att besöket var kortare."}),
    "journal.receipts": Case(_c("/journal/{client}/receipts"), MANAGER_A),
    "journal.export": Case(_c("/journal/{client}/export"), CONCERNED),
    "journal.plan": Case(_c("/journal/{client}/plan/{assignment}"), CONCERNED),
    "journal.edit_plan": Case(_c("/journal/{client}/plan/{assignment}/edit"), CONCERNED),
    "journal.save_plan": Case(_c("/journal/{client}/plan/{assignment}"), CONCERNED, "POST",
                              lambda w: {
        "goal-0-life_area": "mobility", "goal-0-goal": "Promenera dagligen",
        "participants": "Klienten", "participation": "Önskar morgonpromenad",
        "followup_on": (local_today() + timedelta(days=30)).isoformat()}),
    "journal.follow_up": Case(_c("/journal/{client}/plan/{assignment}/follow-up"),
                                   CONCERNED, "POST", lambda w: {
        f"outcome-{w.objects['goal_key']}": "Duschar själv med visst stöd.",
        "followup_on": (local_today() + timedelta(days=90)).isoformat()}),
    "journal.close_assignment": Case(_c("/journal/{client}/close/{assignment}"), CONCERNED, "POST",
                               lambda w: {"ended_on": TODAY(w), "reason": "no_need"}),
    "journal.about": Case(_c("/journal/{client}/about"), CONCERNED),
    "journal.consent": Case(_c("/journal/{client}/consent"), CONCERNED, "POST",
                                   lambda w: {
        "assignment": w.objects["assignment"], "given_on": TODAY(w), "given_how": "oral",
        "valid_until": (local_today() + timedelta(days=30)).isoformat(),
        "relatives": "Sonen, om tider", "covers_documentation": "1"}),
    "journal.revoke": Case(_c("/journal/{client}/consent/{consent}/revoke"), CONCERNED,
                                  "POST", lambda w: {"assignment": w.objects["assignment"]}),
    "journal.add_staff": Case(_c("/journal/{client}/staff"), MANAGER_A, "POST",
                                     lambda w: {"user_id": w.users["staff_a2"].id}),
    "journal.end_staff": Case(_c("/journal/{other}/staff/{staff_row}/end"), MANAGER_A,
                                     "POST"),
    "journal.new_client": Case("/clients/new", MANAGER_A, "POST", lambda w: {
        "unit_id": w.objects["unit_a"], "name": "Ny Klient", "personal_number": "19500505-0009",
        "kind": "sol", "title": "Hemtjänst", "started_on": TODAY(w)}, denied=403),
    "journal.phrases": Case(_c("/units/{unit_a}/phrases"), MANAGER_A),
    "journal.remove_phrase": Case(_c("/units/{unit_a}/phrases/{phrase}/delete"), MANAGER_A,
                                  "POST"),
    "journal.shift": Case("/shift"),
    "journal.start_shift": Case("/shift/start", method="POST"),
    "journal.mark_read": Case(_c("/shift/read/{client}"), CONCERNED, "POST",
                            lambda w: {"through": w.objects["entry"]}),
    "journal.access_log": Case("/journal/log", MANAGERS, denied=403),
}
