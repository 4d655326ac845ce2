"""Administration: people (list, new person, one person's page) and units.

Lists and forms are apart: the people list, the new-person form and the units each have
their own page; deactivating an account asks for a confirmation on a page of its own."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for
from flask_babel import gettext as _

from models import access
from models import admin as admin_model
from models.access import sessions
from models.core.errors import DomainError
from views import db, render, request, signed_in, user
from views.auth.routes import limits

bp = Blueprint("admin", __name__, url_prefix="/admin")
SEARCH_FROM = 20  # the people list gets a search box when it is longer than this


@bp.route("/", methods=["GET", "POST"])
@signed_in("admin.manage")
def index():
    """People: one row per person, each a link to their page; a search past 20 people.
    The search is a POST, so no name ends up in an address or a server log."""
    query = request.form.get("q", "")[:80] if request.method == "POST" else ""
    everyone = admin_model.all_users(db())
    shown = admin_model.find_people(db(), query) if query.strip() else everyone
    return render("admin/index.html", users=shown, total=len(everyone), query=query,
                  searchable=len(everyone) > SEARCH_FROM, roles=access.ROLE_LABELS)


@bp.route("/users/new")
@signed_in("admin.manage")
def new_user():
    """The new-person form."""
    return _new_user_page()


def _new_user_page(status: int = 200, errors: dict | None = None, form: dict | None = None):
    return render("admin/new_person.html", units=admin_model.all_units(db()),
                  roles=access.ROLE_LABELS, errors=errors or {}, form=form or {},
                  chosen=set((form or {}).get("units", []))), status


@bp.route("/users", methods=["POST"])
@signed_in("admin.manage")
def create_user():
    """Create an account; on a mistake the form comes back with the text kept."""
    form = request.form
    try:
        person = admin_model.new_person(db(), user(), form.get("username", ""),
                                        form.get("display_name", ""), form.get("password", ""),
                                        form.get("role", ""), form.getlist("units"))
        db().commit()
    except DomainError as error:
        db().rollback()
        kept = {k: v for k, v in form.to_dict().items() if k != "password"}
        kept["units"] = form.getlist("units")
        return _new_user_page(422, {error.field or "username": str(error)}, kept)
    return redirect(url_for("admin.person", user_id=person.id, done="created"))


@bp.route("/units")
@signed_in("admin.manage")
def units():
    """Units with how many people are members, and a form for a new one."""
    return _units_page()


def _units_page(status: int = 200, errors: dict | None = None, name: str = ""):
    return render("admin/units.html", units=admin_model.units_with_counts(db()),
                  errors=errors or {}, name=name), status


@bp.route("/units", methods=["POST"])
@signed_in("admin.manage")
def create_unit():
    """Create a unit."""
    name = request.form.get("name", "")
    try:
        admin_model.new_unit(db(), user(), name)
        db().commit()
    except DomainError as error:
        db().rollback()
        return _units_page(422, {"unit_name": str(error)}, name[:120])
    return redirect(url_for("admin.units"))


def _person_page(target: access.User, status: int = 200, errors: dict | None = None,
                 done: str | None = None):
    return render(
        "admin/person.html", person=target,
        person_units=access.units_of(db(), target), units=admin_model.all_units(db()),
        roles=access.ROLE_LABELS, live=sessions.live_sessions(db(), target, limits()),
        errors=errors or {}, done=done, is_me=target.id == user().id,
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
    """One person: units, role, sign-in, where they are signed in; the account last."""
    done = request.args.get("done")
    return _person_page(_target(user_id), done=done if done in DONE else None)


DONE = ("created", "units", "role", "password", "active", "sessions")


@bp.route("/users/<id:user_id>/deactivate")
@signed_in("admin.manage")
def confirm_deactivate(user_id: int):
    """Deactivating is asked once more, on its own page, with what it does."""
    target = _target(user_id)
    return render("admin/deactivate.html", person=target, errors={},
                  live=sessions.live_sessions(db(), target, limits()))


@bp.route("/users/<id:user_id>/active", methods=["POST"])
@signed_in("admin.manage")
def set_active(user_id: int):
    """Deactivate (only with the confirmation ticked) or reactivate an account."""
    active = request.form.get("active") == "1"
    if not active and request.form.get("confirm") != "yes":
        target = _target(user_id)
        return render("admin/deactivate.html", person=target,
                      live=sessions.live_sessions(db(), target, limits()),
                      errors={"confirm": _confirm_message()}), 422
    return _change(user_id, lambda t: admin_model.set_active(db(), user(), t, active),
                   "active", "active")


def _confirm_message():
    return _("Tick the box to confirm that the account is to be deactivated.")


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
