"""Where a save's time goes: CPU per request in-process, and cProfile's top 20.

    .venv/bin/python -m bench._profile_saves [tally|journal] [--top N]

The HTTP benchmarks (bench/tally_save.py, bench/journal.py) vary by up to 1.8x between
consecutive runs on a shared VM; CPU time of one process does not. This runs the same
requests through Flask's test client in one process, each against a fresh SQLite file in WAL
mode: the bare-insert baseline (bench/baseline_app.py), the stack's floor (a signed-in,
CSRF-checked POST that does nothing: bench/_floor_app.py's route) and the save itself. It
prints the CPU milliseconds per request (the minimum of several rounds) and the functions
the save spends its own time in. Not part of `make bench`: a tool for reading a profile.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROUNDS, PER_ROUND = 5, 300


def cpu_ms(send, rounds: int = ROUNDS, per_round: int = PER_ROUND) -> float:
    """The minimum over `rounds` of the CPU milliseconds per call of `send`."""
    for _ in range(20):
        send()
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(per_round):
            send()
        best = min(best, (time.process_time() - t0) * 1000 / per_round)
    return best


def _floor_route(app):
    from views import signed_in, user

    @app.post("/bench/floor")
    @signed_in("inbox.view")
    def floor():
        return f"{user().id}", 201


def _baseline(tmp: Path):
    os.environ["BASELINE_DB"] = str(tmp / "baseline.db")
    from bench.baseline_app import app

    web = app.test_client()

    def send():
        assert web.post("/insert", data={"body": "Besöket genomfört."}).status_code == 201
    return send


def _signed_in(url: str, username: str, password: str, page: str):
    from app import create_app, settle_heap

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "NARA_ENV": "development"})
    _floor_route(app)
    settle_heap()
    web = app.test_client()
    login = web.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    assert web.post("/login", data={"username": username, "password": password,
                                    "csrf_token": token}).status_code == 302
    html = web.get(page).get_data(as_text=True)
    csrf = re.search(r'<meta name="nara-csrf" content="([^"]+)"', html).group(1)
    return web, html, csrf


def tally(tmp: Path):
    from bench.tally_save import prepare_database

    activity_id = prepare_database(tmp / "nara.db")
    web, html, csrf = _signed_in(f"sqlite:///{tmp / 'nara.db'}", "fia", "nara-demo-2026",
                                 f"/activities/{activity_id}")
    form = html[html.index('<div id="same-again"'):]
    form = form[:form.index("</form>")]
    pairs = [(k, v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)
             if k not in ("csrf_token", "client_uuid")]
    headers = {"X-CSRFToken": csrf, "X-Nara-Outbox": "1", "HX-Request": "true"}

    def save():
        data = dict(pairs) | {"client_uuid": str(uuid.uuid4())}
        response = web.post(f"/activities/{activity_id}/tallies", data=data, headers=headers)
        assert response.status_code == 201, response.status_code
    return web, headers, save


def journal(tmp: Path):
    from bench.journal import PASSWORD, seed
    from views.cli import upgrade_database

    url = f"sqlite:///{tmp / 'nara.db'}"
    upgrade_database(url)
    client_id, assignment_id = seed(url, 20)
    web, _html, csrf = _signed_in(url, "hanna", PASSWORD, f"/journal/{client_id}")
    headers = {"X-CSRFToken": csrf, "HX-Request": "true", "HX-Request-Type": "partial"}

    def save():
        response = web.post(f"/journal/{client_id}/entries", headers=headers, data={
            "assignment": assignment_id, "category": "action", "when": "now",
            "text": "Besöket genomfört enligt plan. Astrid duschade själv.",
            "client_uuid": str(uuid.uuid4())})
        assert response.status_code == 200, response.status_code
    return web, headers, save


def floor_of(web, headers):
    """The stack's floor for the same signed-in client: a CSRF-checked POST, no work."""
    def floor():
        assert web.post("/bench/floor", data={"x": "1"}, headers=headers).status_code == 201
    return floor


def main() -> int:
    args = sys.argv[1:]
    which = args[0] if args and not args[0].startswith("-") else "tally"
    top = int(args[args.index("--top") + 1]) if "--top" in args else 20
    with tempfile.TemporaryDirectory(prefix="nara-prof-") as tmp_name:
        tmp = Path(tmp_name)
        baseline = cpu_ms(_baseline(tmp))
        web, headers, save = (tally if which == "tally" else journal)(tmp)
        floor_ms, save_ms = cpu_ms(floor_of(web, headers)), cpu_ms(save)
        print(f"{which} save, CPU ms per request (min of {ROUNDS} x {PER_ROUND}, test client)")
        print(f"  bare Flask + sqlite3 insert  {baseline:6.3f}")
        print(f"  floor: signed-in POST, no work {floor_ms:6.3f}  ({floor_ms / baseline:.1f}x)")
        print(f"  {which} save{'':<{20 - len(which)}}{save_ms:6.3f}  ({save_ms / baseline:.1f}x "
              f"the baseline, {save_ms / floor_ms:.1f}x the floor; above the floor "
              f"{save_ms - floor_ms:.3f})")
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(PER_ROUND):
            save()
        profile.disable()
        out = io.StringIO()
        order = os.environ.get("SORT", "tottime")  # SORT=cumtime: where the time is spent
        stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(top)
        print(out.getvalue().split("\n", 3)[-1] if out.getvalue() else "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
