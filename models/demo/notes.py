"""Demo working contact for the counsellor."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import Session, select

from models.catalogue import (
    Activity,
    current_field_set,
    spec_of,
)
from models.core.db import utcnow
from models.notes.contacts import WorkingContact, log_talk, open_contact

# --- demo ---------------------------------------------------------------------------------

DEMO_CONTACT = ("kim", "motesplats-anhorigstod", "Grön 3", (
    (9, "Oro för sonens spelande. Vill förstå vad beroende är. Tips: Stödlinjen."),
    (2, "Har pratat med sonen. Sover bättre. Nästa gång: egna gränser."),
))


def seed_working_contact(session: Session) -> None:
    """Kim's contact "Grön 3" (Anhörigstöd) with two talks, so the thread is not empty."""
    from models.demo.people import user_named

    username, key, pseudonym, talks = DEMO_CONTACT
    owner = user_named(session, username)
    activity = session.exec(select(Activity).where(Activity.key == key)).first()
    if owner is None or activity is None or session.exec(select(WorkingContact.id).where(
            WorkingContact.owner_id == owner.id, WorkingContact.pseudonym == pseudonym)).first():
        return
    contact = open_contact(session, owner, activity, pseudonym)
    field_set = current_field_set(session, activity, contact.unit_id)
    values = {f.key: f.options[0].code for f in spec_of(session, field_set.id).fields
              if f.kind in ("choice", "age")}
    now = utcnow()
    contact.created_at = now - timedelta(days=talks[0][0] + 1)
    for number, (days_ago, note) in enumerate(talks):
        client_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"nara-demo-talk-{number}")
        log_talk(session, owner, contact, values, note, client_uuid,
                 now=now - timedelta(days=days_ago))
    session.flush()
