"""Records management. The right to read: a client of unit A with a note, an open secrecy
review with one mark and an earlier release. Only manager_a (manager of the client's unit)
may review, preview, release or open a release; everyone else gets 404."""

from __future__ import annotations

from datetime import timedelta

from models.core.clock import local_today
from models.journal.entries import add_entry
from models.journal.people import create_client, open_assignment
from models.records import right_to_read as rtr
from tests.access_cases import Case

MANAGER_A = frozenset({"manager_a"})


def build(world):
    from sqlalchemy.orm import object_session

    session = object_session(world.users["staff_a"])
    manager = world.users["manager_a"]
    client = create_client(session, world.units["A"], "Klient Läsrätt", "19500316-4216")
    assignment = open_assignment(session, client, "sol", "Hemtjänst",
                                 local_today() - timedelta(days=10))
    entry, _ = add_entry(session, manager, client, assignment.id, "action", "Grannen ringde.")
    earlier = rtr.release(session, manager, rtr.open_review(session, manager, client),
                          "Klienten", b"%PDF-1.7 test")
    review = rtr.open_review(session, manager, client)
    mark = rtr.withhold(session, manager, review, entry.id, "Grannen", "Tredje man")
    world.objects.update(rtr_client=client.id, rtr_entry=entry.id, rtr_mark=mark.id,
                         rtr_release=earlier.id, rtr_review=review.id)
    session.commit()


def _c(path):
    return lambda w: path.format(**w.objects)


CASES = {
    "records.review": Case(_c("/records/clients/{rtr_client}/right-to-read"), MANAGER_A),
    "records.withhold": Case(_c("/records/clients/{rtr_client}/right-to-read/withhold"),
                             MANAGER_A, "POST", lambda w: {
                                 "entry": w.objects["rtr_entry"], "reason": "Tredje man"}),
    "records.unmark": Case(
        _c("/records/clients/{rtr_client}/right-to-read/marks/{rtr_mark}/remove"),
        MANAGER_A, "POST"),
    "records.copy": Case(_c("/records/clients/{rtr_client}/right-to-read/copy"), MANAGER_A),
    "records.release": Case(_c("/records/clients/{rtr_client}/right-to-read/release"),
                            MANAGER_A, "POST", lambda w: {
                                "recipient": "Klienten själv", "review": w.objects["rtr_review"],
                                "seen": w.objects["rtr_release"]}),
    "records.released": Case(_c("/records/releases/{rtr_release}"), MANAGER_A),
    "records.released_pdf": Case(_c("/records/releases/{rtr_release}/pdf"), MANAGER_A),
}
