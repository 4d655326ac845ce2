"""Working notes: what the privacy guarantees cost, each next to a baseline from this run.

- identity guard on a note vs one plain regex for a personnummer shape (the cheapest check);
- logging a talk (guard + tally + link + note + access log, committed) vs recording the
  same tally alone through the tally model;
- ending a contact with the WAL checkpoint (bytes gone from disk) vs the same deletion
  without it.

In-process on a temporary SQLite file with Nära's settings (WAL, secure_delete).
Run: .venv/bin/python bench/notes.py
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOTE = ("Mamman berättar att sonen sover bättre sedan förra veckan. Skolan har ringt två "
        "gånger om frånvaro, kl 08.30 och 13.15. Skulden är 12 500 kr, avbetalning 500 kr "
        "per månad från 2026-01-01. Nästa gång: egna gränser och stöd från Stödlinjen. ") * 3
PNR_SHAPE = re.compile(r"\d{6}[-+]?\d{4}")
LETTERS = str.maketrans("0123456789", "ghijklmnop")


def timed(fn, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return runs


FIGURES: list = []  # the report's rows (bench/_report.py), filled by row()


def row(name: str, runs: list[float], base: list[float] | None = None) -> str:
    from bench._report import Row

    if base is not None:
        FIGURES.append(Row(name, statistics.median(runs) * 1e6, "µs",
                           statistics.median(base) * 1e6, "previous line"))
    median = statistics.median(runs) * 1e6
    p95 = sorted(runs)[int(len(runs) * 0.95) - 1] * 1e6
    ratio = f"{median / (statistics.median(base) * 1e6):6.1f}×" if base else "   base"
    return f"| {name:<46} | {median:10.1f} | {p95:10.1f} | {ratio} |"


def main() -> int:
    from sqlmodel import select

    from app import create_app
    from models import notes
    from models.access import create_unit, create_user
    from models.catalogue import (
        DEFAULT_FILE,
        Activity,
        current_field_set,
        import_catalogue,
        load_file,
        spec_of,
    )
    from models.core.db import new_session
    from models.notes.guard import find_identity
    from models.tally import record_tally
    from views.cli import upgrade_database

    tmp = Path(tempfile.mkdtemp(prefix="nara-bench-notes-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "FAST_PASSWORD_HASHING": True})
    lines = [f"| {'measurement (µs)':<46} | {'median':>10} | {'p95':>10} | vs base |",
             "| --- | ---: | ---: | ---: |"]
    with app.test_request_context(), new_session(app.extensions["nara_engine"]) as session:
        unit = create_unit(session, "Mötesplatsen")
        import_catalogue(session, load_file(DEFAULT_FILE), {"Mötesplats": unit.name},
                         create_units=True)
        kim = create_user(session, "kim", "Kim Kurator", "bench-password-1", "staff", [unit])
        session.commit()
        anhorig = session.exec(select(Activity).where(
            Activity.key == "motesplats-anhorigstod")).one()
        spec = spec_of(session, current_field_set(session, anhorig, unit.id).id)
        values = {f.key: f.options[0].code for f in spec.fields if f.kind in ("choice", "age")}

        base = timed(lambda: PNR_SHAPE.search(NOTE), 2000)
        guard = timed(lambda: find_identity(NOTE), 2000)
        lines.append(row(f"one regex on a {len(NOTE)}-char note (baseline)", base))
        lines.append(row("identity guard on the same note", guard, base))

        def tally_alone():
            record_tally(session, kim, anhorig, values, uuid.uuid4(), unit=unit.id)
            session.commit()

        contact = notes.open_contact(session, kim, anhorig, "Bänk 1")
        session.commit()

        def talk():
            notes.log_talk(session, kim, contact, values, NOTE[:300], uuid.uuid4())
            session.commit()

        base_tally = timed(tally_alone, 200)
        talks = timed(talk, 200)
        lines.append(row("record the tally alone, committed (baseline)", base_tally))
        lines.append(row("log a talk with a note, committed", talks, base_tally))

        def fill(n: int) -> list:
            made = []
            for _ in range(n):
                # letters only: eight random hex digits that happen to be all digits look
                # like a phone number to the identity guard, which refuses the pseudonym
                c = notes.open_contact(session, kim, anhorig,
                                       f"Bänk {uuid.uuid4().hex[:8].translate(LETTERS)}")
                for _talk in range(5):
                    notes.log_talk(session, kim, c, values, NOTE[:300], uuid.uuid4())
                made.append(c)
            session.commit()
            return made

        def end(made: list, wipe: bool):
            c = made.pop()
            notes.end_contact(session, kim, c)
            session.commit()
            if wipe:
                notes.wipe_freed_pages(session)

        plain, wiped = fill(40), fill(40)
        base_end = timed(lambda: end(plain, False), 40)
        ends = timed(lambda: end(wiped, True), 40)
        lines.append(row("end a 5-talk contact, no checkpoint (baseline)", base_end))
        lines.append(row("end a 5-talk contact + WAL checkpoint", ends, base_end))
    app.extensions["nara_engine"].dispose()
    print("\n".join(lines))
    from bench._report import record

    record("notes", FIGURES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
