"""A unit's own problem areas, routes in and further actions (its managers edit them)."""

from __future__ import annotations

from flask import redirect, url_for
from flask_babel import gettext as _

from models.access import Unit
from models.catalogue import editable_lists_of_unit, options_from_lines, set_unit_options
from models.core.errors import DomainError
from views import db, load_or_404, render, request, signed_in, user
from views.tally.routes import bp
from views.translations import locale_name


def _page(unit: Unit, status: int = 200, errors: dict | None = None, typed: dict | None = None):
    lists = editable_lists_of_unit(db(), unit.id)
    return render("tally/options.html", None, unit=unit, lists=lists, errors=errors or {},
                  typed=typed or {}, locale=locale_name()), status


@bp.route("/units/<id:unit_id>/tally-options", methods=["GET", "POST"])
@signed_in("tally.use")
def options(unit_id: int):
    """Show the unit's editable lists; a POST replaces one list or restores the catalogue's."""
    unit = load_or_404(Unit, unit_id, "unit.manage", hide=True)
    if request.method == "GET":
        return _page(unit)
    key = request.form.get("list_key", "")
    lists = {entry["key"]: entry for entry in editable_lists_of_unit(db(), unit.id)}
    if key not in lists:
        return _page(unit, 422, {"_": _("This list cannot be changed by a unit.")})
    try:
        if request.form.get("restore"):
            set_unit_options(db(), unit.id, key, None, user())
        else:
            new = options_from_lines(request.form.get("options", ""), lists[key]["options"])
            set_unit_options(db(), unit.id, key, new, user())
        db().commit()
    except DomainError as error:
        db().rollback()
        return _page(unit, 422, {key: str(error)}, {key: request.form.get("options", "")})
    return redirect(url_for("tally.options", unit_id=unit.id) + f"#list-{key}", 303)
