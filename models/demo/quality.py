"""Demo quality system: in Hemtjänst Norr a deviation Hugo reported yesterday that Maja is
investigating, and a self-check of three files she has drawn but not signed yet.

Idempotent: the deviation has a fixed form id, and the self-check is drawn only when the
unit has none.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from models.demo.people import unit_named, user_named
from models.records import deviations as dev
from models.records import self_checks as sc

DEVIATION_UUID = str(uuid.uuid5(uuid.NAMESPACE_URL, "nara-demo/deviation/1"))


def seed_quality(session: Session) -> None:
    unit = unit_named(session, "Hemtjänst Norr")
    hugo, maja = user_named(session, "hugo"), user_named(session, "maja")
    if unit is None or hugo is None or maja is None:
        return
    if session.exec(select(dev.Deviation).where(dev.Deviation.uuid == DEVIATION_UUID)).first():
        return
    deviation = dev.report(session, hugo, unit, dev.DeviationInput(
        what="Nyckeln till en brukares lägenhet saknades i nyckelskåpet vid kvällsbesöket.",
        immediate_action="Ringde nattpatrullen som hade reservnyckel; besöket blev 40 min sent.",
        when="yesterday", uuid=DEVIATION_UUID))
    near_miss = next(k for k in dev.kinds_of(session, unit) if k.key == "near_miss")
    dev.investigate(session, maja, deviation, dev.InvestigationInput(
        kind=str(near_miss.id), investigation="Nyckeln hade inte kvitterats tillbaka."))
    if not session.exec(select(sc.SelfCheck).where(sc.SelfCheck.unit_id == unit.id)).first():
        sc.draw(session, maja, unit, 3, seed=2026)
    session.flush()
