"""Old closed files for the records tests: written years ago on Nära's moved clock."""

from __future__ import annotations

from datetime import timedelta

from models.core.clock import local_today
from models.journal.entries import add_entry
from models.journal.people import (
    assign_staff,
    create_client,
    open_assignment,
    record_consent,
)
from models.journal.plans import close_assignment

NUMBERS = {  # Luhn-valid personnummer by day of birth (1940-05-DD)
    15: "19400515-0000", 16: "19400516-0009", 25: "19400525-0008",
}


def old_file(db, clock, unit, author, name: str, number: str, years_ago: int = 7,
             kind: str = "sol", text: str = "Besök gjort", closed: bool = True):
    """A client whose only assignment got its last entry `years_ago` years ago."""
    clock.move(days=-366 * years_ago)
    try:
        client = create_client(db, unit, name, number)
        today = local_today()
        assignment = open_assignment(db, client, kind, "Hemtjänst", today - timedelta(days=30),
                                     today - timedelta(days=35))
        assign_staff(db, client, author, today - timedelta(days=30))
        add_entry(db, author, client, assignment.id, "action", text)
        if closed:
            close_assignment(db, author, assignment, today.isoformat(), "no_need", "Avslutat")
        db.commit()
    finally:
        clock.move(days=366 * years_ago)
    return client


def mets_schema():
    """The METS XSD shipped by the eark-validator package (read offline, through lxml):
    its import of the XLink schema points at the web, so it is pointed at the copy
    shipped beside it."""
    from importlib.resources import files

    from lxml import etree

    folder = files("eark_validator.ipxml.resources") / "schema"
    text = (folder / "mets.xsd").read_text(encoding="utf-8").replace(
        "http://www.loc.gov/standards/xlink/xlink.xsd", str(folder / "xlink.xsd"))
    return etree.XMLSchema(etree.fromstring(text.encode("utf-8"),
                                            base_url=str(folder / "mets.xsd")))


def written_at(db, clock, moment, unit, author, name: str, number: str, kind: str = "sol",
               client=None, entry: bool = True):
    """A file (or a further assignment of `client`) whose last entry is written at the
    local `moment` (an aware datetime), its assignment closed then; without `entry`, a
    client only, created at that moment."""
    from models.core.db import utcnow

    delta = moment - utcnow()
    clock.move(seconds=delta.total_seconds())
    try:
        if client is None:
            client = create_client(db, unit, name, number)
        if entry:
            today = local_today()
            assignment = open_assignment(db, client, kind, "Hemtjänst",
                                         today - timedelta(days=30),
                                         None if kind == "service" else today - timedelta(days=35))
            assign_staff(db, client, author, today - timedelta(days=30))
            if kind == "service":
                from tests.journal_helpers import consent_input

                record_consent(db, author, client, assignment, consent_input())
            add_entry(db, author, client, assignment.id, "action", "Besök gjort")
            close_assignment(db, author, assignment, today.isoformat(), "no_need", "Avslutat")
        db.commit()
    finally:
        clock.move(seconds=-delta.total_seconds())
    return client
