"""Demo data for records management: a secrecy review under way on Bengt's file, with the
neighbour's words marked to withhold (OSL 26:1), waiting for the manager to release it."""

from __future__ import annotations

from sqlmodel import Session, select

from models.demo.people import user_named
from models.journal.tables import Client, JournalEntry
from models.records import right_to_read as rtr

NEIGHBOUR = "Grannen uppgav att Bengt var hos sin dotter."


def seed_right_to_read(session: Session) -> None:
    client = session.exec(select(Client).where(Client.name == "Bengt Karlsson")).first()
    maja = user_named(session, "maja")
    if client is None or maja is None or session.exec(select(rtr.ReadingReview).where(
            rtr.ReadingReview.client_id == client.id)).first():
        return
    entry = next((e for e in session.exec(select(JournalEntry).where(
        JournalEntry.client_id == client.id)) if NEIGHBOUR in e.text), None)
    if entry is not None:
        rtr.withhold(session, maja, rtr.open_review(session, maja, client), entry.id,
                     NEIGHBOUR, "Uppgift från tredje man (grannen)")
