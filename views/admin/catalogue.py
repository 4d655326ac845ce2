"""The activity catalogue in the browser: edit an activity, import and export the file.

Saving goes through `import_catalogue`, the code path of `flask catalogue import`."""

from __future__ import annotations

from flask import Response, abort, redirect, url_for
from flask_babel import gettext as _
from sqlmodel import select

from models.admin import catalogue_editor as editor
from models.catalogue import LEVEL_LABELS, LOGGABLE, Activity, Kind
from models.core.errors import ValidationErrors
from views import db, render, request, signed_in, user
from views.admin.routes import bp


def _kinds():
    return {Kind.choice: _("One choice"), Kind.multi: _("Several choices"),
            Kind.count: _("A number"), Kind.split: _("A number per option"),
            Kind.age: _("Age")}


@bp.route("/catalogue")
@signed_in("admin.manage")
def catalogue():
    """The activities, a new one, and the catalogue file (export, import)."""
    return _catalogue_page()


def _catalogue_page(status: int = 200, file_error=None, report=None):
    return render("admin/catalogue.html", activities=editor.activities(db()),
                  levels=LEVEL_LABELS, file_error=file_error, report=report), status


@bp.route("/catalogue/export")
@signed_in("admin.manage")
def catalogue_export():
    """The catalogue file as `flask catalogue export` writes it (YAML)."""
    return Response(editor.export_text(db()), mimetype="application/yaml", headers={
        "Content-Disposition": 'attachment; filename="catalogue.yaml"'})


@bp.route("/catalogue/import", methods=["POST"])
@signed_in("admin.manage")
def catalogue_import():
    """Import an uploaded catalogue file; a mistake is shown with its line."""
    upload = request.files.get("file")
    raw = upload.read(editor.MAX_UPLOAD + 1) if upload else b""
    try:
        report = editor.import_upload(db(), user(), raw, (upload.filename or "") if upload else "")
        db().commit()
    except editor.FileProblem as problem:
        db().rollback()
        return _catalogue_page(422, file_error=problem.error)
    return _catalogue_page(report=report)


@bp.route("/catalogue/new", methods=["GET", "POST"])
@signed_in("admin.manage")
def new_activity():
    """A new activity."""
    return _edit(None)


@bp.route("/catalogue/<id:activity_id>", methods=["GET", "POST"])
@signed_in("admin.manage")
def activity(activity_id: int):
    """One activity: its description, units, level and tally fields."""
    return _edit(db().get(Activity, activity_id) or abort(404))


def _edit(activity: Activity | None):
    current = editor.entry_of(db(), activity)
    errors, report = {}, None
    if request.method == "POST":
        try:
            report = editor.save_activity(db(), user(), activity, request.form)
            db().commit()
        except ValidationErrors as error:
            db().rollback()
            errors = {k: str(v) for k, v in error.errors.items()}
        else:
            key = activity.key if activity else request.form.get("key", "").strip().lower()
            saved = db().exec(_by_key(key)).first()
            return redirect(url_for("admin.activity", activity_id=saved.id,
                                    saved="version" if report.new_versions else "1"))
    form = request.form if errors else None
    return render(
        "admin/activity.html", activity=activity, entry=current, errors=errors,
        values=_values(current, form), rows=_rows(current, form), units=editor.units(db()),
        levels=LEVEL_LABELS, loggable=[str(x) for x in LOGGABLE], kinds=_kinds(),
        versions=editor.versions(db(), activity) if activity else [],
        saved=request.args.get("saved"),
    ), 422 if errors else 200


def _by_key(key: str):
    return select(Activity).where(Activity.key == key)


def _blank(value) -> str:
    return "" if value is None else str(value)


def _values(entry: dict, form) -> dict:
    """The activity's inputs: as typed (after a mistake), else as stored."""
    if form is not None:
        return {"key": form.get("key", ""), "name": form.get("name", ""),
                "target_group": form.get("target_group", ""), "level": form.get("level", ""),
                "age_min": form.get("age_min", ""), "age_max": form.get("age_max", ""),
                "talk_cap": form.get("talk_cap", ""), "active": form.get("active") == "1",
                "units": form.getlist("units"), "unit_names": None}
    return {"key": entry.get("key", ""), "name": entry.get("name", ""),
            "target_group": entry.get("target_group", ""), "level": entry.get("level", ""),
            "age_min": _blank(entry.get("age_min")), "age_max": _blank(entry.get("age_max")),
            "talk_cap": _blank(entry.get("talk_cap")), "active": entry.get("active", True),
            "units": None, "unit_names": entry.get("units") or []}


def _rows(entry: dict, form) -> list[dict]:
    """One row per tally field, and an empty last one for a new field."""
    if form is not None:
        count = min(int(form.get("field_count") or 0) if (form.get("field_count") or "0")
                    .isdigit() else 0, editor.MAX_FIELDS)
        return [{"i": i, **{k: form.get(f"f{i}_{k}", "") for k in
                           ("key", "was", "label", "kind", "min", "max", "options")},
                 "required": form.get(f"f{i}_required") == "1",
                 "remove": form.get(f"f{i}_remove") == "1", "new": i == count}
                for i in range(count + 1)]
    rows = [{"i": i, "key": f["key"], "was": f["key"], "label": f.get("label") or "",
             "kind": f["kind"], "min": _blank(f.get("min")), "max": _blank(f.get("max")),
             "options": editor.options_text(f), "required": bool(f.get("required")),
             "remove": False, "new": False}
            for i, f in enumerate(entry.get("fields") or [])]
    rows.append({"i": len(rows), "key": "", "was": "", "label": "", "kind": "choice",
                 "min": "", "max": "", "options": "", "required": False, "remove": False,
                 "new": True})
    return rows
