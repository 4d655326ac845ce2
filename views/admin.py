"""Administration: create people and units, set memberships, deactivate accounts."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for

from models import access
from models import admin as admin_model
from models.errors import DomainError
from views import db, render, request, signed_in, user

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _page(status: int = 200, errors: dict | None = None, form: dict | None = None):
    return render(
        "admin/index.html",
        users=admin_model.all_users(db()),
        units=admin_model.all_units(db()),
        roles=access.ROLE_LABELS,
        errors=errors or {},
        form=form or {},
    ), status


@bp.route("/")
@signed_in("admin.manage")
def index():
    """People and units."""
    return _page()


@bp.route("/users", methods=["POST"])
@signed_in("admin.manage")
def create_user():
    """Create an account; on a mistake the form comes back with the text kept."""
    form = request.form
    units = [u for u in admin_model.all_units(db()) if str(u.id) in form.getlist("units")]
    try:
        access.create_user(db(), form.get("username", ""), form.get("display_name", ""),
                           form.get("password", ""), form.get("role", ""), units)
        db().commit()
    except DomainError as error:
        db().rollback()
        return _page(422, {error.field or "username": str(error)}, form.to_dict())
    return redirect(url_for("admin.index"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@signed_in("admin.manage")
def set_active(user_id: int):
    """Deactivate or reactivate an account."""
    target = db().get(access.User, user_id) or abort(404)
    try:
        admin_model.set_active(db(), user(), target, request.form.get("active") == "1")
        db().commit()
    except DomainError as error:
        db().rollback()
        return _page(422, {"active": str(error)})
    return redirect(url_for("admin.index"))


@bp.route("/users/<int:user_id>/units", methods=["POST"])
@signed_in("admin.manage")
def set_units(user_id: int):
    """Replace a person's unit memberships."""
    target = db().get(access.User, user_id) or abort(404)
    admin_model.set_units(db(), target, [int(i) for i in request.form.getlist("units") if
                                         i.isdigit()])
    db().commit()
    return redirect(url_for("admin.index"))


@bp.route("/units", methods=["POST"])
@signed_in("admin.manage")
def create_unit():
    """Create a unit."""
    try:
        access.create_unit(db(), request.form.get("name", ""))
        db().commit()
    except DomainError as error:
        db().rollback()
        return _page(422, {"unit_name": str(error)}, {"unit_name": request.form.get("name", "")})
    return redirect(url_for("admin.index"))
