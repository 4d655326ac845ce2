"""Pinnstatistik endpoints: an activity of unit A, and a tally staff_a logged in it."""

from __future__ import annotations

import uuid

from tests.access_cases import SIGNED_IN, Case

UNIT_A = frozenset({"staff_a", "staff_a2", "manager_a"})
AUTHOR = frozenset({"staff_a"})

CATALOGUE = {
    "format": "nara-catalogue/1",
    "activities": [{
        "key": "access-hembesok", "name": "Hembesök", "units": ["Enhet A"], "level": "aggregate",
        "fields": [{"key": "visits", "kind": "count", "label": "Antal hembesök", "min": 1,
                    "max": 3, "default": 1, "required": True}],
    }],
}


def build(world):
    from sqlmodel import Session, select

    from models.catalogue import Activity, import_catalogue
    from models.tally import record_tally

    session = Session.object_session(world.units["A"])
    import_catalogue(session, CATALOGUE)
    activity = session.exec(select(Activity).where(Activity.key == "access-hembesok")).one()
    tally, _ = record_tally(session, world.users["staff_a"], activity, {"visits": 2},
                            uuid.uuid4())
    session.flush()
    world.objects["tally_activity"] = activity.id
    world.objects["tally"] = tally.id
    from models.tally import keep_pending
    world.objects["pending_sha"] = keep_pending(
        session, world.users["admin"], "Datum;Antal hembesök\n2025-01-01;2\n".encode(), "x.csv")


def _fresh(world) -> dict:
    return {"client_uuid": str(uuid.uuid4()), "visits": "1"}


CASES = {
    "tally.activity": Case(lambda w: f"/activities/{w.objects['tally_activity']}",
                           allowed=UNIT_A),
    "tally.save": Case(lambda w: f"/activities/{w.objects['tally_activity']}/tallies",
                       method="POST", data=_fresh, allowed=UNIT_A),
    "tally.undo": Case(lambda w: f"/tallies/{w.objects['tally']}/undo", method="POST",
                       allowed=AUTHOR),
    "tally.correct": Case(lambda w: f"/tallies/{w.objects['tally']}/correct", allowed=AUTHOR),
    "tally.catalogue": Case("/tally/catalogue.json", allowed=SIGNED_IN),
    "tally.shell": Case("/tally/shell", public=True),
    "tally.imports": Case("/tally/import", allowed=frozenset({"admin"}), denied=403),
    "tally.import_confirm": Case("/tally/import/confirm", method="POST",
                                 data=lambda w: {"target": f"{w.objects['tally_activity']}:"
                                                 f"{w.units['A'].id}",
                                                 "sha256": w.objects["pending_sha"]},
                                 allowed=frozenset({"admin"}), denied=403),
    "tally.options": Case(lambda w: f"/units/{w.units['A'].id}/tally-options",
                          allowed=frozenset({"manager_a"})),
}
