"""The year's quality figures for the quality report (kvalitetsberättelse, SOSFS 2011:9):
deviations per status and class, self-checks signed and their answers per criterion, and
the measures decided. Figures only, no client names; exported as CSV rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from models.access import Unit
from models.records.deviations import STATUSES, Counts, counts, period_bounds
from models.records.self_checks import CRITERIA, RESULTS, SelfCheck, SelfCheckItem

FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass
class UnitYear:
    unit: Unit
    deviations: Counts
    checks: int = 0  # signed self-checks
    files: int = 0  # files checked in them
    answers: dict = field(default_factory=dict)  # criterion → {result → n}
    measures: list = field(default_factory=list)  # the signed self-checks' measures


def year_summary(session: Session, units: list[Unit], year: int) -> list[UnitYear]:
    start, end = date(year, 1, 1), date(year, 12, 31)
    low, high = period_bounds(start, end)
    out = []
    for unit in units:
        row = UnitYear(unit, counts(session, [unit.id], start, end))
        row.answers = {c: dict.fromkeys(RESULTS, 0) for c in CRITERIA}
        checks = list(session.exec(select(SelfCheck).where(
            SelfCheck.unit_id == unit.id, col(SelfCheck.signed_at).is_not(None),
            col(SelfCheck.signed_at) >= low, col(SelfCheck.signed_at) < high)
            .order_by(col(SelfCheck.signed_at))))
        row.checks = len(checks)
        row.measures = [c.measures for c in checks if c.measures]
        items = session.exec(select(SelfCheckItem).where(
            col(SelfCheckItem.self_check_id).in_([c.id for c in checks] or [-1]))).all()
        row.files = len({(i.self_check_id, i.client_id) for i in items})
        for item in items:
            if item.criterion in row.answers and item.result in RESULTS:
                row.answers[item.criterion][item.result] += 1
        out.append(row)
    return out


def summary_csv(rows: list[UnitYear], year: int) -> str:
    """One line per figure: year, unit, section, item, count (labels in the UI's language)."""
    lines = [["year", "unit", "section", "item", "count"]]
    for row in rows:
        name = row.unit.name
        lines.append([year, name, "deviations", "total", row.deviations.total])
        for key, label in STATUSES.items():
            lines.append([year, name, "deviations_by_status", str(label),
                          row.deviations.by_status.get(key, 0)])
        for label, n in row.deviations.by_kind:
            lines.append([year, name, "deviations_by_class", label, n])
        lines.append([year, name, "self_checks", "signed", row.checks])
        lines.append([year, name, "self_checks", "files", row.files])
        for criterion, label in CRITERIA.items():
            for result in RESULTS:
                lines.append([year, name, f"self_check_{result}", str(label),
                              row.answers[criterion][result]])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [[_cell(value) for value in line] for line in lines])
    return buffer.getvalue()


def _cell(value):
    """Spreadsheets run a cell starting with = + - @ as a formula; a unit's own class
    names reach the file, so such text gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
