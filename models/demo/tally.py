"""Demo tallies: the seed-001 catalogue and a few tallies per activity."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import Session, select

from models.catalogue import (
    Activity,
)
from models.core.db import utcnow
from models.tally.record import record_tally

# --- demo ---------------------------------------------------------------------------------

# seed 001 names the responsible units; the demo's units are called a little differently.
DEMO_UNIT_MAP = {
    "Fältare": "Fältgruppen",
    "Familjecentral": "Familjecentralen",
    "Mötesplats": "Mötesplatsen",
}
DEMO_TALLIES = (  # (user, activity key, hours ago, values)
    ("fia", "faltare-allvarssamtal", 26, {"gender_young": "m", "age_individual": "15",
                                          "problem_area": "kriminalitet", "route_in": "polis"}),
    ("fia", "faltare-allvarssamtal", 3, {"gender_young": "k", "age_individual": "16",
                                         "problem_area": "skola", "route_in": "skola"}),
    ("fia", "faltare-gruppverksamhet", 2, {"meetings": 1, "adults": 2,
                                           "children_by_gender": {"k": 5, "m": 4}}),
    ("kim", "familjecentral-enskilda-samtal", 5, {
        "talks": 1, "gender": "k", "age_adult": "25-29", "children": 1,
        "household": "sammanboende", "problem_area": "foraldraskap", "route_in": "bvc"}),
    ("kim", "motesplats-oppen-verksamhet", 4, {"visitors_by_gender": {"k": 7, "m": 5}}),
)


def seed_catalogue_and_tallies(session: Session) -> None:
    """The whole seed-001 catalogue, its units, and a few tallies so inboxes are not empty."""
    from models.catalogue import DEFAULT_FILE, import_catalogue, load_file
    from models.demo.people import user_named

    import_catalogue(session, load_file(DEFAULT_FILE), DEMO_UNIT_MAP, create_units=True)
    now = utcnow()
    for number, (username, key, hours, values) in enumerate(DEMO_TALLIES):
        user = user_named(session, username)
        activity = session.exec(select(Activity).where(Activity.key == key)).first()
        if user is None or activity is None:
            continue
        client_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"nara-demo-tally-{number}")
        record_tally(session, user, activity, values, client_uuid,
                     now=now - timedelta(hours=hours))
    session.flush()
