"""One report for `make bench`: every benchmark's figures in bench/RESULTS.md (issue 16 §6).

The shared interface, for every bench/*.py module:

    from bench._report import Row, record
    record("tally_save", [Row("tally save vs bare insert", value=..., unit="req/s",
                              baseline=..., target="≥ 50 %", met=...), ...])

`record` writes the module's rows to bench/.results/<module>.json (one file per module, so
modules run in any order and in separate processes); `make bench` empties that folder
first and runs `python bench/_report.py` last, which writes bench/RESULTS.md: the machine
(cores, Python, SQLite, PostgreSQL, Redis versions) and one row per figure — value,
same-run baseline, ratio, target, met or missed. A module that crashed leaves no file and
is listed as such. A module may also expose `rows()` returning the same Row list (the
generator never imports modules: benchmarks are separate processes).
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS_DIR", BENCH / ".results"))
REPORT = BENCH / "RESULTS.md"
PG_URL = os.environ.get("BENCH_PG_URL") or os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL") or os.environ.get(
    "TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class Row:
    """One figure. `ratio` defaults to value / baseline when both are numbers."""

    figure: str
    value: float | str
    unit: str = ""
    baseline: float | str | None = None
    baseline_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None  # None: informative, no target

    def __post_init__(self):
        if (self.ratio is None and isinstance(self.value, (int, float))
                and isinstance(self.baseline, (int, float)) and self.baseline):
            self.ratio = self.value / self.baseline


def record(module: str, rows: list[Row]) -> Path:
    """Store one module's rows for the report (overwrites that module's earlier rows)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{module}.json"
    path.write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1))
    return path


def load(module: str) -> list[Row]:
    path = RESULTS_DIR / f"{module}.json"
    return [Row(**r) for r in json.loads(path.read_text())] if path.exists() else []


# --- the machine ----------------------------------------------------------------------------


def _pg_version() -> str:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_URL)
        with engine.connect() as con:
            version = con.execute(text("SHOW server_version")).scalar()
        engine.dispose()
        return f"PostgreSQL {version}"
    except Exception as error:  # noqa: BLE001 - the report says it was not reachable
        return f"PostgreSQL not reachable ({type(error).__name__})"


def _redis_version() -> str:
    try:
        import redis

        return f"Redis {redis.Redis.from_url(REDIS_URL).info('server')['redis_version']}"
    except Exception as error:  # noqa: BLE001
        return f"Redis not reachable ({type(error).__name__})"


def _wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=5)
        return (out.stdout or out.stderr).split(" [", 1)[0].strip() or "wrk"
    except OSError:
        return "wrk absent (Python client)"


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [f"{os.cpu_count()} cores ({cpu})", f"Python {platform.python_version()}",
            f"SQLite {sqlite3.sqlite_version}", _pg_version(), _redis_version(),
            _wrk_version(), f"{platform.system()} {platform.release()}"]


# --- the report -----------------------------------------------------------------------------


def _fmt(value, unit: str = "") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def render(modules: list[str]) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Nära benchmark results", "",
             f"Written by `make bench` ({now}); regenerated on every run, never edited.", "",
             "## Machine", "", *(f"- {m}" for m in machine()), ""]
    missed, absent = [], []
    lines += ["## Figures", "",
              "| module | figure | value | same-run baseline | ratio | target | verdict |",
              "| --- | --- | ---: | --- | ---: | --- | --- |"]
    for module in modules:
        rows = load(module)
        if not rows:
            absent.append(module)
            lines.append(f"| {module} | (no figures: the benchmark failed before recording) "
                         "| — | — | — | — | **missed** |")
            continue
        for r in rows:
            base = _fmt(r.baseline, r.unit if isinstance(r.baseline, (int, float)) else "")
            if r.baseline_name and r.baseline is not None:
                base = f"{base} ({r.baseline_name})"
            ratio = "—" if r.ratio is None else f"{r.ratio:.0%}"
            verdict = "—" if r.met is None else ("met" if r.met else "**missed**")
            if r.met is False:
                missed.append(f"{module}: {r.figure}")
            lines.append(f"| {module} | {r.figure} | {_fmt(r.value, r.unit)} | {base} | "
                         f"{ratio} | {r.target or '—'} | {verdict} |")
    lines.append("")
    if missed or absent:
        lines += ["## Missed", "", *(f"- {m}" for m in missed),
                  *(f"- {m}: no figures" for m in absent), ""]
    else:
        lines += ["Every target met.", ""]
    return "\n".join(lines)


def benchmark_modules() -> list[str]:
    """The modules `make bench` runs, in its order (stats last)."""
    names = sorted(p.stem for p in BENCH.glob("*.py")
                   if not p.name.startswith("_") and p.stem != "baseline_app")
    if "stats" in names:
        names.remove("stats")
        names.append("stats")
    return names


def main(argv: list[str]) -> int:
    modules = argv or benchmark_modules()
    REPORT.write_text(render(modules))
    print(f"wrote {REPORT.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
