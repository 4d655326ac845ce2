"""Records, the quality system: a client of unit A with staff_a assigned, a deviation of
unit A reported by staff_a, and a self-check of unit A. Reporting from the unit: every
member of a unit; from the client: staff concerned and manager_a; the deviation's receipt:
its reporter; investigating, classes, self-checks, the quality report: managers (of the
object's unit). Everyone else: 404."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import object_session

from models.core.clock import local_today
from models.journal.people import assign_staff, create_client, open_assignment
from models.records import deviations as dev
from models.records import self_checks as sc
from tests.access_cases import Case

MEMBERS = frozenset({"staff_a", "staff_a2", "staff_b", "manager_a", "manager_b"})
CONCERNED = frozenset({"staff_a", "manager_a"})
REPORTER = frozenset({"staff_a"})
MANAGER_A = frozenset({"manager_a"})
MANAGERS = frozenset({"manager_a", "manager_b"})


def build(world):
    session = object_session(world.users["staff_a"])
    unit = world.units["A"]
    client = create_client(session, unit, "Klient Avvikelse", "19500516-1236")
    open_assignment(session, client, "sol", "Hemtjänst", local_today() - timedelta(days=30))
    assign_staff(session, client, world.users["staff_a"], local_today() - timedelta(days=30))
    deviation = dev.report(session, world.users["staff_a"], unit, dev.DeviationInput(
        what="Besöket uteblev.", uuid=str(uuid.uuid4())))
    check = sc.draw(session, world.users["manager_a"], unit, 1, seed=7)
    world.objects.update(dev_client=client.id, deviation=deviation.id, self_check=check.id)
    session.commit()


def _o(path):
    return lambda w: path.format(a=w.units["A"].id, **w.objects)


def _report(_w):
    return {"what": "Fel medicin gavs.", "when": "now", "uuid": str(uuid.uuid4())}


CASES = {
    "records.deviation_form": Case("/records/deviations/new", MEMBERS),
    "records.report_deviation": Case("/records/deviations/new", MEMBERS, "POST", _report),
    "records.client_deviation_form": Case(_o("/records/clients/{dev_client}/deviations/new"),
                                          CONCERNED),
    "records.report_client_deviation": Case(_o("/records/clients/{dev_client}/deviations"),
                                            CONCERNED, "POST", _report),
    "records.deviation_saved": Case(_o("/records/deviations/{deviation}/saved"), REPORTER),
    "records.deviations": Case("/records/deviations", MANAGERS),
    "records.deviation": Case(_o("/records/deviations/{deviation}"), MANAGER_A),
    "records.investigate_deviation": Case(_o("/records/deviations/{deviation}"), MANAGER_A,
                                          "POST", {"investigation": "Schemat var fel."}),
    "records.deviation_kinds": Case(_o("/records/units/{a}/deviation-kinds"), MANAGER_A),
    "records.save_deviation_kinds": Case(_o("/records/units/{a}/deviation-kinds"), MANAGER_A,
                                         "POST", {"kinds": "Utebliven insats\nAnnat"}),
    "records.self_checks": Case("/records/self-checks", MANAGERS),
    "records.draw_self_check": Case("/records/self-checks", MANAGER_A, "POST",
                                    lambda w: {"unit": w.units["A"].id, "size": "1"}),
    "records.self_check": Case(_o("/records/self-checks/{self_check}"), MANAGER_A),
    "records.save_self_check": Case(_o("/records/self-checks/{self_check}"), MANAGER_A, "POST",
                                    {"conclusion": "Bra."}),
    "records.quality_report": Case("/records/quality", MANAGERS),
    "records.quality_report_csv": Case("/records/quality.csv", MANAGERS),
    "records.quality_report_pdf": Case("/records/quality.pdf", MANAGERS),
}
