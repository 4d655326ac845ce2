"""The quality system (seed 003, SOSFS 2011:9): what its pages share, and the year's figures
for the quality report (kvalitetsberättelse) as a page, CSV and PDF. Deviations are in
views/records/deviations.py, self-checks in views/records/self_checks.py.
"""

from __future__ import annotations

from flask import Response, abort, current_app, render_template

from models.access import Unit
from models.core.clock import local_today
from models.core.errors import DomainError, ValidationErrors
from models.core.parse import parse_int
from models.records import deviations as dev
from models.records import quality, quality_pdf
from models.records import self_checks as sc
from views import db, render, request, signed_in, user
from views.records.blueprint import bp
from views.translations import locale_name


def field_errors(error: DomainError) -> dict:
    return dict(error.errors) if isinstance(error, ValidationErrors) else {
        error.field or "form": error.message}


def managed() -> list[Unit]:
    return dev.managed_units(db(), user())


def managed_ids() -> set[int]:
    return {u.id for u in managed()}


# --- the year's figures --------------------------------------------------------------------


def _year() -> int:
    year = parse_int(request.args.get("year"), quality.FIRST_YEAR, quality.LAST_YEAR)
    return year or local_today().year


@bp.route("/quality")
@signed_in("records.quality")
def quality_report():
    """The year's figures for the quality report (kvalitetsberättelse)."""
    year = _year()
    rows = quality.year_summary(db(), managed(), year)
    db().commit()
    return render("records/self_check_year.html", year=year, rows=rows,
                  criteria=sc.CRITERIA, results=sc.RESULTS, statuses=dev.STATUSES,
                  pdf=quality_pdf.available())


@bp.route("/quality.csv")
@signed_in("records.quality")
def quality_report_csv():
    """The same figures as CSV (UTF-8 with BOM, for spreadsheets)."""
    year = _year()
    body = "\ufeff" + quality.summary_csv(quality.year_summary(db(), managed(), year), year)
    db().commit()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="kvalitet-{year}.csv"'})


@bp.route("/quality.pdf")
@signed_in("records.quality")
def quality_report_pdf():
    """The same figures as a PDF/A-2b (only where WeasyPrint is installed)."""
    if not quality_pdf.available():
        abort(404)
    year = _year()
    html = render_template("records/self_check_year_print.html", year=year,
                           rows=quality.year_summary(db(), managed(), year),
                           criteria=sc.CRITERIA, results=sc.RESULTS, statuses=dev.STATUSES,
                           locale=locale_name())
    db().commit()
    body = quality_pdf.pdf(html, current_app.static_folder)
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="kvalitet-{year}.pdf"'})
