"""Records management (issue 14): the records officer (arkivansvarig) alone sees retention
plans, runs destruction and sets legal holds; admins edit the retention periods, which
the records officer reads. Everyone else gets 403 (the routes exist for every role)."""

from __future__ import annotations

from models.journal.people import create_client
from tests.access_cases import Case

RECORDS = frozenset({"records"})
PERIODS = frozenset({"admin", "records"})
ADMIN = frozenset({"admin"})


def build(world):
    from sqlmodel import Session

    from models.records import retention

    session = Session.object_session(world.units["A"])
    client = create_client(session, world.units["B"], "Klient Arkiv", "19400515-0000")
    hold = retention.set_hold(session, world.users["records"], client, "Överklagande")
    session.commit()
    world.objects["records_client"] = client
    world.objects["records_hold"] = hold


CASES = {
    "records.retention": Case("/records/retention", allowed=RECORDS, denied=403),
    "records.confirm_run": Case("/records/retention/run?year=2020", allowed=RECORDS,
                                denied=403),
    "records.run": Case("/records/retention/run", method="POST", allowed=RECORDS, denied=403,
                        data={"year": "2020", "confirm": "yes"}),
    "records.set_hold": Case("/records/retention/holds", method="POST", allowed=RECORDS,
                             denied=403, data=lambda w: {
                                 "client": str(w.objects["records_client"].id),
                                 "reason": "Polisens begäran"}),
    "records.lift_hold": Case(lambda w: f"/records/retention/holds/{w.objects['records_hold'].id}"
                              "/lift", method="POST", allowed=RECORDS, denied=403),
    "records.search_files": Case("/records/retention/search", method="POST",
                                 allowed=RECORDS, denied=403, data={"q": "Klient Arkiv"}),
    "records.periods": Case("/records/periods", allowed=PERIODS, denied=403),
    "records.save_period": Case("/records/periods", method="POST", allowed=ADMIN, denied=403,
                                data={"kind": "sol", "years": "5",
                                      "source": "Seed 003: fem år efter sista anteckningen"}),
}
