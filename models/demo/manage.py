"""Demo statistics: two months of Allvarssamtal in Fältgruppen, so the manager's
statistics have something to show (charts, "<5" cells, a comparison with last month).
They are logged by a second fältare, Felix, so Fia's own threads stay as the tally demo
made them.

Idempotent: every tally has a fixed client UUID per month and position, so running
`flask demo-seed` again adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import Session, select

from models.access import Role, create_user
from models.catalogue import Activity
from models.core.clock import local_midnight, local_today
from models.core.db import utcnow
from models.demo.people import DEMO_PASSWORD, unit_named, user_named
from models.tally import by_uuid, record_tally

SERIOUS = "faltare-allvarssamtal"
# (age, gender, problem area, route in) and how many, for the current month: mostly
# 14–17-year-olds, a few at the edges of the target group — the "<5" cells.
THIS_MONTH = [
    ("13", "k", "skola", "skola", 2), ("14", "k", "skola", "skola", 3),
    ("14", "m", "kriminalitet", "polis", 3), ("15", "m", "kriminalitet", "polis", 4),
    ("15", "k", "psykisk_ohalsa", "egen", 5), ("16", "m", "beroende", "polis", 5),
    ("16", "k", "beroende", "socialtjanst", 5), ("17", "m", "skola", "skola", 4),
    ("17", "k", "relationer", "egen", 3), ("18", "x", "psykisk_ohalsa", "egen", 3),
    ("19", "m", "annat", "anhorig", 2), ("20", "k", "beroende", "socialtjanst", 1),
]
LAST_MONTH = [
    ("14", "k", "skola", "skola", 4), ("15", "m", "kriminalitet", "polis", 6),
    ("16", "k", "psykisk_ohalsa", "egen", 7), ("16", "m", "beroende", "polis", 6),
    ("17", "m", "skola", "skola", 5), ("18", "k", "relationer", "anhorig", 2),
]


def _spread(start, end, count: int):
    """`count` moments evenly between start and end."""
    step = (end - start) / (count + 1)
    return [start + step * (i + 1) for i in range(count)]


def seed_statistics(session: Session) -> None:
    activity = session.exec(select(Activity).where(Activity.key == SERIOUS)).first()
    unit = unit_named(session, "Fältgruppen")
    if activity is None or unit is None:
        return
    felix = user_named(session, "felix") or create_user(
        session, "felix", "Felix Fältare", DEMO_PASSWORD, Role.staff, [unit])
    now = utcnow()
    month_start = local_midnight(local_today(now).replace(day=1))
    previous_start = local_midnight((month_start.date() - timedelta(days=1)).replace(day=1))
    for label, rows, start, end in (
        ("this", THIS_MONTH, month_start, now - timedelta(minutes=5)),
        ("last", LAST_MONTH, previous_start, month_start - timedelta(minutes=1)),
    ):
        values = [(age, g, p, r) for age, g, p, r, n in rows for _ in range(n)]
        for number, (when, (age, gender, problem, route)) in enumerate(
                zip(_spread(start, end, len(values)), values, strict=True)):
            client_uuid = uuid.uuid5(uuid.NAMESPACE_URL,
                                     f"nara-demo-stats-{label}-{start.date()}-{number}")
            if by_uuid(session, client_uuid) is not None:
                continue
            record_tally(session, felix, activity, {
                "gender_young": gender, "age_individual": age, "problem_area": problem,
                "route_in": route}, client_uuid, occurred_at=when,
                now=min(when + timedelta(minutes=3 + number % 40), now))
    session.flush()


# Follow-ups and day-feed alerts in Hemtjänst Norr: a plan due within the fortnight, an
# assignment that has no plan yet with a consent running out, a deviation today and a
# note written a day and a half after the visit.
FOLLOW_UP_CLIENTS = (
    ("Sven Ekdahl", "19360412-3004", "sol", "Hemtjänst", "hugo", 6),
    ("Ingrid Holm", "19410923-3009", "service", "Ledsagning", "hanna", None),
)


def seed_follow_ups(session: Session) -> None:
    from models.access import Unit
    from models.journal.entries import add_entry
    from models.journal.people import (
        ConsentInput,
        assign_staff,
        create_client,
        open_assignment,
        record_consent,
    )
    from models.journal.plans import GoalInput, save_plan
    from models.journal.tables import Client

    unit = session.exec(select(Unit).where(Unit.name == "Hemtjänst Norr")).first()
    if unit is None:
        return
    today, now = local_today(), utcnow()
    for name, number, kind, title, username, due_in in FOLLOW_UP_CLIENTS:
        if session.exec(select(Client).where(Client.unit_id == unit.id,
                                             Client.name == name)).first():
            continue
        staff = user_named(session, username)
        client = create_client(session, unit, name, number)
        assignment = open_assignment(session, client, kind, title,
                                     started_on=today - timedelta(days=170),
                                     decided_on=None if kind == "service"
                                     else today - timedelta(days=175))
        assign_staff(session, client, staff, from_on=today - timedelta(days=170))
        if kind == "service":
            record_consent(session, staff, client, assignment, ConsentInput(
                given_on=(today - timedelta(days=170)).isoformat(), given_how="written",
                valid_until=(today + timedelta(days=20)).isoformat(),
                purpose="Ledsagning till vårdcentralen"), now=now - timedelta(days=2))
            add_entry(session, staff, client, assignment.id, "action",
                      "Följde med till vårdcentralen.",
                      occurred_at=now - timedelta(hours=36), now=now - timedelta(minutes=30))
        else:
            save_plan(session, staff, assignment,
                      [GoalInput(life_area="mobility", goal="Sven går till brevlådan själv.")],
                      participants=f"{name}, {staff.display_name}",
                      participation="Deltog och vill fortsätta med promenaderna.",
                      followup_on=today + timedelta(days=due_in),
                      now=now - timedelta(days=2))
            add_entry(session, staff, client, assignment.id, "deviation",
                      "Morgonbesöket blev en timme försenat.",
                      occurred_at=now - timedelta(hours=3), now=now - timedelta(hours=2))
    session.flush()
