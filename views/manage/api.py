"""The open statistics export (issue 18 §3; the rules are in models/manage/open_data.py).

`/api/stats/v1/…` answers integrations that present a token (`Authorization: Bearer …`),
never a browser session: a signed-in manager's cookie gives nothing here. JSON by
default, CSV with the same figures in fixed columns for `?format=csv`. The admin issues
and revokes tokens at `/api/tokens`.
"""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, redirect, url_for
from flask_babel import gettext as _

from models.core.errors import DomainError, ValidationErrors
from models.core.parse import parse_id
from models.manage import open_data
from views import db, public, render, request, signed_in, user

api = Blueprint("api", __name__)


def _json(document: dict, status: int = 200) -> Response:
    response = Response(json.dumps(document, ensure_ascii=False, indent=1), status,
                        mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _problem(status: int, title: str, errors: dict | None = None) -> Response:
    """RFC 9457 problem details, with the parameter each error belongs to."""
    body = {"type": "about:blank", "title": title, "status": status}
    if errors:
        body["errors"] = {k: str(v) for k, v in errors.items()}
    response = Response(json.dumps(body, ensure_ascii=False), status,
                        mimetype="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="nara-stats"'
    return response


def _token(action: str):
    token = open_data.authenticate(db(), request.headers.get("Authorization"), action)
    db().commit()  # the log row, granted or denied, stays whatever comes next
    return token


@api.route("/api/stats/v1/activities")
@public
def activities_v1():
    """The token's units and the activities they keep tallies of."""
    token = _token("api.stats.activities")
    if token is None:
        return _problem(401, _("A valid API token is required."))
    return _json(open_data.activities_v1(db(), token))


@api.route("/api/stats/v1/tables")
@public
def tables_v1():
    """One activity's shared tables for a month, quarter or year; `format=csv` for CSV."""
    token = _token("api.stats.tables")
    if token is None:
        return _problem(401, _("A valid API token is required."))
    args = request.args
    try:
        document = open_data.stats_v1(db(), token, args.get("activity", ""),
                                      args.get("period", "month"), args.get("date", ""),
                                      args.getlist("unit"))
    except ValidationErrors as invalid:
        return _problem(422, _("Check the parameters."), invalid.errors)
    if args.get("format") == "csv":
        out = io.StringIO()
        csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows(
            open_data.csv_rows(document))
        response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
        response.headers["Cache-Control"] = "no-store"
        return response
    return _json(document)


# --- the admin's token page -------------------------------------------------------------


def _page(status: int = 200, **context):
    units = open_data.all_units(db())
    context.setdefault("errors", {})
    context.setdefault("typed", {})
    return render("manage/api_tokens.html", None, tokens=open_data.all_tokens(db()),
                  units=units, **context), status


@api.route("/api/tokens", methods=["GET", "POST"])
@signed_in("api.tokens")
def tokens():
    """GET: the integrations' tokens. POST: issue one (its secret is shown once)."""
    if request.method == "GET":
        return _page()
    typed = {"name": request.form.get("name", ""), "units": request.form.getlist("units")}
    try:
        token, secret = open_data.issue_token(db(), user(), typed["name"], typed["units"])
    except ValidationErrors as invalid:
        db().rollback()
        return _page(422, errors=invalid.errors, typed=typed)
    db().commit()
    return _page(issued=token, secret=secret)


@api.route("/api/tokens/<id:token_id>/revoke", methods=["POST"])
@signed_in("api.tokens")
def revoke(token_id: int):
    token = db().get(open_data.ApiToken, parse_id(token_id))
    if token is None:
        return _page(404, errors={"_": _("No such token.")})
    try:
        open_data.revoke_token(db(), user(), token)
    except DomainError as error:
        return _page(422, errors={"_": str(error)})
    db().commit()
    return redirect(url_for("api.tokens"), 303)

