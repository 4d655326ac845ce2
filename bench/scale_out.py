"""Two app servers on one PostgreSQL (issue 16 §4): does it scale, and does anything get lost?

Starts Nära under gunicorn (`app:serve()`, gthread, one worker per process) against a
PostgreSQL database made for this run (`nara_scale_out`, never the test suite's) and Redis
for the login limiter, as ONE process and as TWO processes on two ports, in turn
(one, two, one, two: `ORDER`; each arm's two phases pooled). The same
signed-in users' requests alternate between the ports: the session cookie, the CSRF token
and the tally outbox's client UUIDs come from one process and are used on the other.

Load: 32 connections on 127.0.0.1 for a fixed time (BENCH_SCALE_SECONDS, default 15 s
per phase; requests still in flight at the end are waited for), a bounded mix:

- 50 % tally saves ("same again" from the outbox, a fresh client UUID; every 10th is
  re-sent with the same UUID to the *other* process, as a retry after a lost answer:
  200 with the stored tally, never a second row);
- 20 % journal saves (htmx, with their access-log row, a fresh client UUID);
- 30 % thread reads (an activity thread, or a client's journal thread, half each).

Reported per phase: req/s, p50/p95/p99, errors (non-2xx and socket errors), RSS per
worker, and where the CPU went (app workers, PostgreSQL, this client). Afterwards the
rows are counted against the answers: every 2xx client UUID is stored exactly once
(0 lost, 0 duplicated). Targets: 0 errors, 0 lost, 0 duplicated, two ≥ 1.5 × one.

    .venv/bin/python bench/scale_out.py
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench._report import PG_URL, REDIS_URL, Row, record  # noqa: E402
from bench._serving import serve, stop  # noqa: E402

CONNECTIONS = 32
SECONDS = float(os.environ.get("BENCH_SCALE_SECONDS", "15"))
THREADS = int(os.environ.get("BENCH_SCALE_THREADS", "4"))
# This benchmark's own database (dropped and made again each run; the tests use `test` and
# its copies): BENCH_SCALE_DATABASE names another, so two runs on one server do not meet.
DATABASE = os.environ.get("BENCH_SCALE_DATABASE", "nara_scale_out")
RETRY_EVERY = 10
SEED = 16


# --- a small asyncio HTTP/1.1 client (keep-alive, Content-Length bodies) --------------------


class Connection:
    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict, body: bytes = b""):
        for attempt in (0, 1):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection("127.0.0.1",
                                                                             self.port)
                head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}",
                        f"Content-Length: {len(body)}"]
                head += [f"{k}: {v}" for k, v in headers.items()]
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                await self.writer.drain()
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionResetError("closed")
                status = int(status_line.split()[1])
                response_headers = {}
                while (line := await self.reader.readline()) not in (b"\r\n", b""):
                    key, _, value = line.decode("latin-1").partition(":")
                    response_headers.setdefault(key.strip().lower(), []).append(value.strip())
                length = int(response_headers.get("content-length", ["0"])[0])
                data = await self.reader.readexactly(length) if length else b""
                if "close" in response_headers.get("connection", [""])[0].lower():
                    self.close()
                return status, response_headers, data
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Browser:
    """One signed-in person: a cookie jar shared by a connection to each port."""

    def __init__(self, ports: list[int]):
        self.ports = ports
        self.connections = [Connection(p) for p in ports]
        self.cookies: dict[str, str] = {}
        self.turn = 0
        self.csrf = ""

    def next(self) -> Connection:
        self.turn += 1
        return self.connections[self.turn % len(self.connections)]

    def other(self, connection: Connection) -> Connection:
        return self.connections[(self.connections.index(connection) + 1)
                                % len(self.connections)]

    async def send(self, connection, method, path, form=None, headers=None):
        head = dict(headers or {})
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            head["Content-Type"] = "application/x-www-form-urlencoded"
        status, response_headers, data = await connection.request(method, path, head, body)
        for value in response_headers.get("set-cookie", []):
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return status, data

    async def sign_in(self, username: str, password: str, page: str) -> str:
        first = self.connections[0]
        _s, login = await self.send(first, "GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', login).group(1).decode()
        status, _d = await self.send(first, "POST", "/login", {
            "csrf_token": token, "username": username, "password": password})
        assert status == 302, (username, status)
        # The page (and its CSRF token) from the *other* process when there are two.
        status, html = await self.send(self.connections[-1], "GET", page)
        assert status == 200, (page, status)
        self.csrf = re.search(rb'<meta name="nara-csrf" content="([^"]+)"', html).group(1).decode()
        return html.decode()


# --- the database ----------------------------------------------------------------------------


def admin_engine():
    return create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")


def fresh_database() -> str:
    admin = admin_engine()
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        con.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=DATABASE).render_as_string(hide_password=False)


def drop_database() -> None:
    admin = admin_engine()
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str) -> dict:
    from sqlmodel import select

    from app import create_app
    from models.catalogue import Activity
    from models.core.db import new_session
    from models.demo import DEMO_PASSWORD, seed_demo
    from models.journal.tables import Assignment, Client
    from views.cli import upgrade_database

    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    with app.app_context(), new_session(app.extensions["nara_engine"]) as session:
        seed_demo(session)
        activity = session.exec(select(Activity.id).where(
            Activity.key == "faltare-allvarssamtal")).one()
        clients = {c.name.split()[0]: c.id for c in session.exec(select(Client))}
        writes = clients["Astrid"]
        assignment = session.exec(select(Assignment.id).where(
            Assignment.client_id == writes)).first()
    app.extensions["nara_engine"].dispose()
    return {"activity": activity, "write_client": writes, "read_client": clients["Bengt"],
            "assignment": assignment, "password": DEMO_PASSWORD}


def stored(url: str, table: str, column: str, uuids: set[str]) -> tuple[int, int]:
    """(distinct UUIDs of `uuids` stored, rows holding them): lost and duplicates follow."""
    engine = create_engine(url)
    with engine.connect() as con:
        rows = [str(r[0]) for r in con.execute(text(f"SELECT {column} FROM {table}"))]
    engine.dispose()
    mine = [r for r in rows if r in uuids]
    return len(set(mine)), len(mine)


# --- the load ----------------------------------------------------------------------------------


class Tally:
    """The numbers of one phase."""

    def __init__(self):
        self.latencies: list[float] = []
        self.errors = 0
        self.kinds: dict[str, int] = {}
        self.tally_ok: set[str] = set()
        self.journal_ok: set[str] = set()
        self.retries_ok = 0
        self.failures: list[str] = []  # what each failed request got: status or exception

    def took(self, kind: str, started: float, ok: bool, detail: str = ""):
        self.latencies.append(time.perf_counter() - started)
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        self.errors += not ok
        if not ok:
            self.failures.append(f"{kind} after {time.perf_counter() - started:.3f} s: {detail}")


    def add(self, other: Tally) -> Tally:
        """This phase's numbers and `other`'s, as one."""
        self.latencies += other.latencies
        self.errors += other.errors
        for kind, n in other.kinds.items():
            self.kinds[kind] = self.kinds.get(kind, 0) + n
        self.tally_ok |= other.tally_ok
        self.journal_ok |= other.journal_ok
        self.retries_ok += other.retries_ok
        self.failures += other.failures
        return self


def why(status: int, data: bytes) -> str:
    """A failed answer, short: its status and the start of its body."""
    return f"HTTP {status} {data[:200]!r}"


async def run_phase(ports: list[int], ids: dict) -> tuple[Tally, float]:
    rng = random.Random(SEED)
    numbers = Tally()
    fia, hanna = Browser(ports), Browser(ports)
    activity_page = await fia.sign_in("fia", ids["password"], f"/activities/{ids['activity']}")
    await hanna.sign_in("hanna", ids["password"], f"/journal/{ids['write_client']}")
    form = activity_page[activity_page.index('<div id="same-again"'):]
    form = form[:form.index("</form>")]
    pairs = [(k, v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)
             if k not in ("csrf_token", "client_uuid")]
    tally_path = f"/activities/{ids['activity']}/tallies"
    outbox = {"X-Nara-Outbox": "1", "HX-Request": "true", "X-CSRFToken": fia.csrf}
    htmx = {"HX-Request": "true", "HX-Request-Type": "partial", "X-CSRFToken": hanna.csrf}
    note = {"assignment": ids["assignment"], "category": "action", "when": "now",
            "text": "Besöket genomfört enligt plan. Astrid duschade själv."}
    deadline = time.perf_counter() + SECONDS

    async def user(n: int):
        # Each connection is one phone of fia's or hanna's: its own sockets, their cookies.
        mine_fia, mine_hanna = Browser(ports), Browser(ports)
        mine_fia.cookies, mine_hanna.cookies = fia.cookies, hanna.cookies
        mine_fia.turn = mine_hanna.turn = n
        count = 0
        while time.perf_counter() < deadline:
            roll = rng.random()
            started = time.perf_counter()
            try:
                if roll < 0.5:
                    count += 1
                    key = str(uuid.uuid4())
                    con = mine_fia.next()
                    status, data = await mine_fia.send(con, "POST", tally_path,
                                                       [*pairs, ("client_uuid", key)], outbox)
                    numbers.took("tally save", started, status == 201, why(status, data))
                    if status == 201:
                        numbers.tally_ok.add(key)
                        if count % RETRY_EVERY == 0:  # the answer "got lost": send again
                            started = time.perf_counter()
                            status, data = await mine_fia.send(
                                mine_fia.other(con), "POST", tally_path,
                                [*pairs, ("client_uuid", key)], outbox)
                            numbers.took("tally retry", started, status == 200,
                                         why(status, data))
                            numbers.retries_ok += status == 200
                elif roll < 0.7:
                    key = str(uuid.uuid4())
                    status, data = await mine_hanna.send(
                        mine_hanna.next(), "POST", f"/journal/{ids['write_client']}/entries",
                        {**note, "client_uuid": key}, htmx)
                    numbers.took("journal save", started, status == 200, why(status, data))
                    if status == 200:
                        numbers.journal_ok.add(key)
                elif roll < 0.85:
                    status, data = await mine_fia.send(mine_fia.next(), "GET",
                                                       f"/activities/{ids['activity']}")
                    numbers.took("activity thread", started, status == 200, why(status, data))
                else:
                    status, data = await mine_hanna.send(mine_hanna.next(), "GET",
                                                         f"/journal/{ids['read_client']}")
                    numbers.took("journal thread", started, status == 200, why(status, data))
            except (ConnectionError, asyncio.IncompleteReadError, OSError) as error:
                numbers.took("socket error", started, False, repr(error))
        for c in mine_fia.connections + mine_hanna.connections:
            c.close()

    started = time.perf_counter()
    await asyncio.gather(*(user(n) for n in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    for c in fia.connections + hanna.connections:
        c.close()
    return numbers, elapsed


# --- processes -----------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_of(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError):
            pass
    return out


def cpu_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU used since `before` by `pids` (processes born since count in full)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in cpu_of(pids).items())


def backend_cpu(url: str) -> float | None:
    """CPU seconds of this database's PostgreSQL backends (the app's pooled connections,
    born in this phase), or None when the server's processes are not visible from here
    (another container or machine)."""
    engine = create_engine(url)
    with engine.connect() as con:
        pids = [r[0] for r in con.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"))]
    engine.dispose()
    seen = cpu_of(pids)
    return sum(seen.values()) if seen else None


def phase(processes: int, url: str, ids: dict) -> dict:
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-scale-secret", "NARA_ENV": "production",
           "PREFER_HTTPS": "0", "RATELIMIT_STORAGE_URI": REDIS_URL,
           "RATELIMIT_KEY_PREFIX": f"nara-bench-scale-{os.getpid()}"}
    started = [serve("app:serve()", env, workers=1, threads=THREADS) for _ in range(processes)]
    try:
        workers = [w for proc, _port in started for w in children(proc.pid)]
        before = (cpu_of(workers), time.process_time())
        numbers, elapsed = asyncio.run(run_phase([port for _p, port in started], ids))
        cpu = {"app workers": cpu_since(before[0], workers),
               "PostgreSQL": backend_cpu(url),
               "load client": time.process_time() - before[1]}
        rss = [rss_mb(w) for w in workers]
    finally:
        for proc, _port in started:
            stop(proc)
    return {"processes": processes, "numbers": numbers, "elapsed": elapsed, "rss": rss,
            "cpu": cpu}


# One process, two, one, two: a slow minute of the shared VM falls on both arms alike
# (2026-12-02, measured one after the other: 1.65× in one run, 1.10× in the next, the
# second arm's CPU per request 30 % higher than the first's with the same code).
ORDER = (1, 2, 1, 2)


def pooled(runs: list[dict]) -> dict:
    """The phases of one arm as one: requests over their summed time, latencies together,
    CPU summed, the largest RSS of each worker."""
    numbers = Tally()
    for run in runs:
        numbers.add(run["numbers"])
    elapsed = sum(run["elapsed"] for run in runs)
    cpu = {key: (None if any(run["cpu"][key] is None for run in runs)
                 else sum(run["cpu"][key] for run in runs)) for key in runs[0]["cpu"]}
    q = statistics.quantiles(numbers.latencies, n=100)
    return {"processes": runs[0]["processes"], "numbers": numbers, "elapsed": elapsed,
            "rps": len(numbers.latencies) / elapsed, "p50": q[49] * 1000, "p95": q[94] * 1000,
            "p99": q[98] * 1000, "cpu": cpu, "phases": [
                len(run["numbers"].latencies) / run["elapsed"] for run in runs],
            "rss": [max(rss) for rss in zip(*(run["rss"] for run in runs), strict=True)]}


CORES = os.cpu_count() or 1


def cpu_ceiling(one: dict) -> float | None:
    """How far more processes could take the one-process phase's rate on this machine: all
    the CPU there is over what that phase used (app workers, PostgreSQL, load client), the
    CPU per request staying the same. None when PostgreSQL's share is not visible."""
    used = one["cpu"].values()
    if any(v is None for v in used) or not sum(used):
        return None
    return one["elapsed"] * CORES / sum(used)


def _cpu(seconds: float | None) -> str:
    return "n/a (not visible)" if seconds is None else f"{seconds:.1f}"


def main() -> int:
    try:
        url = fresh_database()
    except Exception as error:  # noqa: BLE001 - no PostgreSQL: say so, record a miss
        print(f"PostgreSQL not reachable ({type(error).__name__}): nothing measured")
        record("scale_out", [Row("two app servers on one PostgreSQL", "not measured",
                                 target="PostgreSQL reachable", met=False)])
        return 1
    try:
        ids = seed(url)
        runs = [phase(n, url, ids) for n in ORDER]
        results = [pooled([r for r in runs if r["processes"] == n]) for n in (1, 2)]
        sent_tallies = set().union(*(r["numbers"].tally_ok for r in results))
        sent_notes = set().union(*(r["numbers"].journal_ok for r in results))
        tallies = stored(url, "tally", "client_uuid", sent_tallies)
        notes = stored(url, "journal_entry", "uuid", sent_notes)
    finally:
        drop_database()

    print(f"two app servers on one PostgreSQL — {CONNECTIONS} connections, {SECONDS:.0f} s per "
          f"phase, phases {', '.join(map(str, ORDER))} processes (each arm pooled), "
          f"gunicorn gthread 1 worker × {THREADS} threads per process, 127.0.0.1")
    print(f"{'':14}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'requests':>10}"
          f"{'errors':>8}  RSS per worker (MB)   CPU s: workers / PostgreSQL / client")
    for r in results:
        n = r["numbers"]
        cpu = r["cpu"]
        print(f"{r['processes']} process{'es' if r['processes'] > 1 else '  '}  {r['rps']:8.0f}"
              f"{r['p50']:9.1f}{r['p95']:9.1f}{r['p99']:9.1f}{len(n.latencies):10d}"
              f"{n.errors:8d}  {', '.join(f'{m:.0f}' for m in r['rss']):<20}"
              f"  {' / '.join(_cpu(v) for v in cpu.values())}"
              f" of {r['elapsed'] * CORES:.1f}")
        print(f"   mix: {', '.join(f'{k} {v}' for k, v in sorted(n.kinds.items()))}; "
              f"req/s per phase: {', '.join(f'{v:.0f}' for v in r['phases'])}")
        for failure in n.failures:
            print(f"   failed: {failure}")
    lost_t, dup_t = len(sent_tallies) - tallies[0], tallies[1] - tallies[0]
    lost_n, dup_n = len(sent_notes) - notes[0], notes[1] - notes[0]
    retries = sum(r["numbers"].retries_ok for r in results)
    print(f"tallies: {len(sent_tallies)} answered 2xx, {tallies[1]} rows: lost {lost_t}, "
          f"duplicated {dup_t} ({retries} retries on the other process answered 200)")
    print(f"journal notes: {len(sent_notes)} answered 2xx, {notes[1]} rows: lost {lost_n}, "
          f"duplicated {dup_n}")
    one, two = results
    ratio = two["rps"] / one["rps"]
    errors = sum(r["numbers"].errors for r in results)
    busiest = max(two["cpu"], key=lambda k: two["cpu"][k] or 0.0)
    print(f"two processes / one: {ratio:.2f}× (target ≥ 1.5×); in the two-process phase the "
          f"most CPU went to: {busiest}")
    ceiling = cpu_ceiling(one)
    if ceiling is not None:
        print(f"ceiling on this machine: {ceiling:.2f}× — the one-process phase already used "
              f"{sum(one['cpu'].values()):.1f} of its {one['elapsed'] * CORES:.1f} CPU "
              f"seconds (app, PostgreSQL and load client share {CORES} cores); at the same CPU "
              f"per request, two processes can add only what is left")
    rows = [
        Row("two app servers: req/s (mixed saves and reads, 32 connections)", two["rps"],
            "req/s", one["rps"], "one app server", target="≥ 150 %", met=ratio >= 1.5),
        Row("two app servers: p50 / p95 / p99",
            f"{two['p50']:.1f} / {two['p95']:.1f} / {two['p99']:.1f} ms",
            baseline=f"{one['p50']:.1f} / {one['p95']:.1f} / {one['p99']:.1f} ms",
            baseline_name="one"),
        Row("two app servers: RSS per worker", max(two["rss"]), "MB", max(one["rss"]), "one"),
        Row("two app servers: CPU s (workers / PostgreSQL / load client)",
            " / ".join(map(_cpu, two["cpu"].values())),
            baseline=" / ".join(map(_cpu, one["cpu"].values())), baseline_name="one"),
        Row("two app servers: the machine's ceiling for two/one (CPU there is / CPU one "
            "process's phase used)", "n/a" if ceiling is None else f"{ceiling:.2f}×",
            baseline=f"{ratio:.2f}× (measured)", baseline_name="two/one"),
        Row("two app servers: errors (both phases)", errors, target="0", met=errors == 0),
        Row("two app servers: saves lost (tallies + notes)", lost_t + lost_n, target="0",
            met=lost_t + lost_n == 0),
        Row("two app servers: saves duplicated (tallies + notes)", dup_t + dup_n, target="0",
            met=dup_t + dup_n == 0),
    ]
    record("scale_out", rows)
    ok = all(r.met for r in rows if r.met is not None)
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
