"""Administration: create people and units, set memberships, deactivate accounts."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for

from models import access
from models import admin as admin_model
from models.access import sessions
from models.core.errors import DomainError
from views import db, render, request, signed_in, user
from views.auth.routes import limits

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


def _person_page(target: access.User, status: int = 200, errors: dict | None = None,
                 done: str | None = None):
    return render(
        "admin/person.html", person=target,
        person_units=access.units_of(db(), target), units=admin_model.all_units(db()),
        roles=access.ROLE_LABELS, live=sessions.live_sessions(db(), target, limits()),
        errors=errors or {}, done=done,
    ), status


def _target(user_id: int) -> access.User:
    return db().get(access.User, user_id) or abort(404)


def _change(user_id: int, change, field: str, done: str):
    """Apply one change to a person; their page again, with the error at `field`."""
    target = _target(user_id)
    try:
        change(target)
        db().commit()
    except DomainError as error:
        db().rollback()
        return _person_page(target, 422, {field: str(error)})
    return redirect(url_for("admin.person", user_id=user_id, done=done))


@bp.route("/users/<id:user_id>")
@signed_in("admin.manage")
def person(user_id: int):
    """One person: units, role, account state, password, and where they are signed in."""
    return _person_page(_target(user_id), done=request.args.get("done"))


@bp.route("/users/<id:user_id>/active", methods=["POST"])
@signed_in("admin.manage")
def set_active(user_id: int):
    """Deactivate or reactivate an account (deactivation ends its sessions)."""
    active = request.form.get("active") == "1"
    return _change(user_id, lambda t: admin_model.set_active(db(), user(), t, active),
                   "active", "active")


@bp.route("/users/<id:user_id>/units", methods=["POST"])
@signed_in("admin.manage")
def set_units(user_id: int):
    """Replace a person's unit memberships (a change ends their sessions)."""
    ids = [int(i) for i in request.form.getlist("units") if i.isascii() and i.isdigit()
           and len(i) < 10]
    return _change(user_id, lambda t: admin_model.set_units(db(), user(), t, ids),
                   "units", "units")


@bp.route("/users/<id:user_id>/role", methods=["POST"])
@signed_in("admin.manage")
def set_role(user_id: int):
    """Change a person's role (their sessions end)."""
    role = request.form.get("role", "")
    return _change(user_id, lambda t: admin_model.set_role(db(), user(), t, role),
                   "role", "role")


@bp.route("/users/<id:user_id>/password", methods=["POST"])
@signed_in("admin.manage")
def reset_password(user_id: int):
    """Give a person a new password (a forgotten one); their sessions end."""
    password = request.form.get("password", "")
    return _change(user_id, lambda t: admin_model.reset_password(db(), user(), t, password),
                   "password", "password")


@bp.route("/users/<id:user_id>/sessions/end", methods=["POST"])
@signed_in("admin.manage")
def end_sessions(user_id: int):
    """End every session of a person (a lost or shared phone left signed in)."""
    return _change(user_id, lambda t: admin_model.end_sessions(db(), user(), t),
                   "sessions", "sessions")


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
