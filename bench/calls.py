"""Python work per request, counted: function calls of a save, of the stack's floor and of
the bare-insert baseline, in one process (issue 16 §1).

The HTTP benchmarks measure time on a shared VM whose speed moves by up to a third between
two runs of the same code (bench/tally_save.py's floor: 1,024 and 1,483 req/s an hour
apart, 2026-12-02). A request's function calls do not move: the same code makes the same
calls on any machine, so this is the figure to compare commits by, and it shows where a
ratio target stands before any load is driven. Each request goes through Flask's test
client (its own calls are in every row alike), against a fresh SQLite file in WAL mode,
as bench/_profile_saves.py sets them up: the bare-insert baseline, bare Flask doing
nothing, the floor (a signed-in, CSRF-checked POST that does nothing), a tally save and a
journal save. Informative rows, no targets.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _profile_saves as setup  # noqa: E402
from bench._report import Row, record  # noqa: E402

WARM, COUNTED = 50, 200


def calls_per_request(send) -> float:
    for _ in range(WARM):
        send()
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(COUNTED):
        send()
    profile.disable()
    return pstats.Stats(profile).total_calls / COUNTED


def _bare_flask():
    from flask import Flask

    app = Flask("bare")

    @app.post("/nothing")
    def nothing():
        return "ok", 201

    web = app.test_client()

    def send():
        assert web.post("/nothing", data={"body": "Besöket genomfört."}).status_code == 201
    return send


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="nara-calls-") as tmp_name:
        tmp = Path(tmp_name)
        baseline = calls_per_request(setup._baseline(tmp))
        bare = calls_per_request(_bare_flask())
        for room in ("tally", "journal"):
            (tmp / room).mkdir()
        web, headers, tally_save = setup.tally(tmp / "tally")
        floor = calls_per_request(setup.floor_of(web, headers))
        tally = calls_per_request(tally_save)
        _web, _headers, journal_save = setup.journal(tmp / "journal")
        journal = calls_per_request(journal_save)
    name = "bare Flask + sqlite3 insert"
    rows = [
        Row("Python calls per request: bare Flask, no work", bare, "calls", baseline, name),
        Row("Python calls per request: stack floor (signed-in CSRF-checked POST, no work)",
            floor, "calls", baseline, name),
        Row("Python calls per request: tally save", tally, "calls", baseline, name),
        Row("Python calls per request: journal save + access log", journal, "calls",
            baseline, name),
    ]
    print(f"Python function calls per request (Flask's test client, {COUNTED} requests each)")
    print(f"  {name:52}{baseline:8.0f}")
    for row in rows:
        print(f"  {row.figure.split(': ', 1)[1]:52}{row.value:8.0f}  ({row.ratio:.1f}x)")
    record("calls", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
