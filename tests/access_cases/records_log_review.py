"""Records management. Log review: both managers filter their own units' log and draw
samples; a review is its reviewer's (manager_a's here). Everyone else: 404."""

from __future__ import annotations

from sqlalchemy.orm import object_session

from models.access import AccessLog, log_access
from models.journal.people import create_client
from models.records import log_review as lr
from tests.access_cases import Case

MANAGER_A = frozenset({"manager_a"})
MANAGERS = frozenset({"manager_a", "manager_b"})


def build(world):
    """A read of a client in each unit, and manager_a's review of unit A with its one row
    marked (so it can be signed)."""
    session = object_session(world.users["manager_a"])
    for unit, who, number in (("A", "staff_a", "19900101-0009"),
                              ("B", "staff_b", "19900102-0008")):
        client = create_client(session, world.units[unit], f"Logg {unit}", number)
        session.flush()
        log_access(session, world.users[who], "client", client.id, "thread.read")
    session.commit()
    manager = world.users["manager_a"]
    review = lr.draw_sample(session, manager, lr.LogFilter(), 5)
    log_id = lr.sample_ids(session, review)[0]
    lr.mark_row(session, manager, review, log_id, "justified", "")
    assert session.get(AccessLog, log_id) is not None
    world.objects.update(log_review=review.id, log_review_row=log_id)


def _review(world, tail: str = "") -> str:
    return f"/records/log/reviews/{world.objects['log_review']}{tail}"


CASES = {
    "records.log_review": Case("/records/log", MANAGERS),
    "records.draw_sample": Case("/records/log/reviews", MANAGERS, method="POST",
                                data={"size": "3"}),
    "records.log_sample": Case(_review, MANAGER_A),
    "records.mark_row": Case(
        lambda w: _review(w, f"/rows/{w.objects['log_review_row']}"), MANAGER_A,
        method="POST", data={"verdict": "questioned", "comment": "Varför?"}),
    "records.sign_review": Case(lambda w: _review(w, "/sign"), MANAGER_A, method="POST",
                                data={"conclusion": "Inga avvikelser.", "follow_up": ""}),
    "records.add_note": Case(lambda w: _review(w, "/notes"), MANAGER_A, method="POST",
                             data={"note": "Uppföljt."}),
}
