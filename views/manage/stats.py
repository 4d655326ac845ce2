"""Statistics: one page per scope and period, with charts, and its exports.

By default the page shows the exact figures of the manager's own units (she may see
them: the page never leaves the unit). "For sharing" (`view=shared`) is the version that
may leave the unit, every figure protected by the cell-key method
(models/manage/protection.py); exports and the charts of that view are always that version.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response, url_for
from flask_babel import gettext as _

from models.core.errors import DomainError, ValidationErrors
from models.core.parse import parse_ids
from models.manage.aggregate import (
    PERIOD_LABELS,
    activities_of_units,
    managed_units,
    parse_period,
    scope_for,
)
from models.manage.charts import bar_chart, series_chart
from models.manage.report import build_report, period_label
from views import db, render, request, signed_in, user
from views.manage.day import bp
from views.manage.export import (
    FORMATS,
    SEPARATORS,
    XLSX_TYPE,
    csv_bytes,
    file_name,
    heading,
    xlsx_bytes,
)
from views.translations import locale_name

ARGS = ("activity", "period", "date", "start", "end", "view", "rows", "cols", "series")


def _args() -> dict:
    args = {k: request.args.get(k, "") for k in ARGS}
    args["unit"] = [u for u in request.args.getlist("unit") if u]
    return args


def stats_url(args: dict, endpoint: str = "manage.stats", **changes) -> str:
    values = {k: v for k, v in {**args, **changes}.items() if v not in ("", None, [])}
    return url_for(endpoint, **values)


def _report(args: dict, shared: bool):
    """The report for the query, or (None, field errors)."""
    errors = {}
    try:
        scope = scope_for(db(), user(), args["unit"], args["activity"] or None)
    except DomainError as error:
        errors[error.field or "unit"] = error.message
    try:
        period = parse_period(args["period"] or None, args["date"], args["start"], args["end"])
    except ValidationErrors as invalid:
        errors.update(invalid.errors)
    if errors:
        return None, errors
    cross = (args["rows"], args["cols"]) if args["rows"] and args["cols"] else None
    report = build_report(db(), scope, period, shared=shared, locale=locale_name(), cross=cross,
                          series_key=args["series"] or None)
    return report, {}


def _charts(report) -> dict:
    charts = {}
    for grid in report.grids:
        if grid.chart == "bars":
            charts[grid.id] = bar_chart(f"chart-{grid.id}", grid.title, grid.rows,
                                        grid.col_heads)
        elif grid.chart == "series":
            charts[grid.id] = series_chart(f"chart-{grid.id}", grid.title, grid.rows)
    return charts


@bp.route("/stats")
@signed_in("manage.view")
def stats():
    """Totals, breakdowns by every field, a cross table, a series, lag; charts; exports."""
    args = _args()
    shared = args["view"] == "shared"
    report, errors = _report(args, shared)
    units = managed_units(db(), user())
    chosen = parse_ids(args["unit"]) or [u.id for u in units]
    context = {
        "args": args, "errors": errors, "report": report, "shared": shared,
        "units": units, "chosen_units": chosen,
        "activities": activities_of_units(db(), chosen) if not errors.get("unit") else [],
        "period_kinds": PERIOD_LABELS, "charts": _charts(report) if report else {},
        "stats_url": stats_url, "formats": FORMATS,
        "period_text": period_label(report.period, locale_name()) if report else "",
        "previous_text": period_label(report.previous, locale_name()) if report else "",
    }
    return render("manage/stats.html", **context), 400 if errors else 200


def disposition(name: str) -> str:
    """attachment with an ASCII fallback and the real (UTF-8) name, as RFC 6266 asks."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"


@bp.route("/stats/export")
@signed_in("manage.view")
def export():
    """One table (or all, as XLSX) of the shared report, named by unit and period."""
    args = _args()
    fmt, table = request.args.get("format", "csv"), request.args.get("table", "all")
    if fmt not in FORMATS:
        raise DomainError(_("Choose CSV or XLSX."), "format")
    report, errors = _report(args, shared=True)
    if errors:
        raise DomainError(next(iter(errors.values())))
    grids = report.grids if table == "all" else [g for g in report.grids if g.id == table]
    if not grids or (table == "all" and fmt != "xlsx"):
        raise DomainError(_("There is no such table to export."), "table")
    if fmt == "xlsx":
        body = xlsx_bytes(grids, heading(report, period_label(report.period, locale_name())))
        name, mimetype = file_name(report, table, fmt), XLSX_TYPE
    else:
        body = csv_bytes(grids[0], SEPARATORS[fmt])
        name, mimetype = file_name(report, table, fmt), "text/csv"  # Werkzeug adds the charset
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = disposition(name)
    response.headers["Cache-Control"] = "no-store"
    return response
