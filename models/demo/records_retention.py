"""Demo data for retention and destruction: three closed files of Hemtjänst Norr whose time
has run out, so the records officer (`arkiv`) has a real plan to look at.

- Gunnar Gallring: a service intervention (kept 2 years) last written 3 years ago: due,
  destroyed by the next run.
- Signe Arkivsson: born on the 15th (SoL, kept 5 years, last written 6 years ago): due,
  archived first (a born-day file).
- Holger Kvarhållen: SoL, 6 years ago, due, but held: an appeal is pending.

Written as they would have been then (the journal's own functions, given the old times).
Idempotent: a file already there (or destroyed by a run) is not written again.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from models.core.db import utcnow
from models.demo.people import unit_named, user_named
from models.journal.people import create_client, open_assignment
from models.journal.plans import close_assignment
from models.journal.tables import Client, DestroyedFile, _insert_entry
from models.records import retention

# (name, personnummer, kind, title, years since the last entry, legal hold)
FILES = (
    ("Gunnar Gallring", "19380316-1003", "service", "Matdistribution", 3, None),
    ("Signe Arkivsson", "19350515-1005", "sol", "Hemtjänst", 6, None),
    ("Holger Kvarhållen", "19410322-1000", "sol", "Hemtjänst", 6,
     "Överklagande i förvaltningsrätten, mål nr 1234-26"),
)
NOTES = (
    (200, "action", "Levererade matlådor för veckan. Brukaren nöjd."),
    (30, "event", "Brukaren flyttar till särskilt boende nästa månad."),
)


def seed_retention(session: Session) -> None:
    unit, hanna = unit_named(session, "Hemtjänst Norr"), user_named(session, "hanna")
    officer = user_named(session, "arkiv")
    if unit is None or hanna is None or officer is None:
        return
    if session.exec(select(DestroyedFile).where(DestroyedFile.unit_id == unit.id)).first():
        return  # a run has destroyed the demo's old files: do not bring them back
    for name, number, kind, title, years_ago, hold in FILES:
        if session.exec(select(Client).where(Client.name == name)).first():
            continue
        last = utcnow() - timedelta(days=366 * years_ago)
        client = create_client(session, unit, name, number, address="Storgatan 7")
        client.created_at = last - timedelta(days=400)
        started = (last - timedelta(days=380)).date()
        assignment = open_assignment(session, client, kind, title, started_on=started,
                                     decided_on=None if kind == "service" else started)
        for days_before, category, text in NOTES:
            at = last - timedelta(days=days_before)
            _insert_entry(session, hanna, assignment, category, text,
                          occurred=at - timedelta(minutes=15), now=at)
        close_assignment(session, hanna, assignment, last.date().isoformat(), "moved",
                         "Flyttat till särskilt boende. Insatsen avslutad.", now=last)
        if hold:
            retention.set_hold(session, officer, client, hold)
    session.flush()
