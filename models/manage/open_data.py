"""The open statistics export (issue 18 §3): `GET /api/stats/v1/…` for integrations.

Municipal reporting (the municipality's statistics portal, Kolada-style key figures, a
regional follow-up) reads tallies by machine. What it gets:

- **shared values only**: the tables are built by `build_report(shared=True)`, the same
  call the CSV/XLSX exports make, so the API can never publish more than an export (every
  figure protected by the cell-key method, models/manage/protection.py: a multiple of 5,
  the same for the same tallies in every table);
- **periods on the grid only**: calendar months, quarters and years (no custom periods or
  ISO weeks, which stay in the unit's exact view);
- **a stable shape**: `schemas/stats-v1.schema.json` is the contract; v1 only ever gains
  optional members, a change of shape is v2 at a new path.

Integrations authenticate with a **token** an admin issues (named, scoped to units) and
can revoke. Only the token's SHA-256 is stored; the secret is shown once. Every use is
written to the access log (subject `api_token`), a refused one too.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlmodel import Field, Session, SQLModel, col, select

from models.access import Unit, User, log_access
from models.core.clock import local_today
from models.core.db import utcnow
from models.core.errors import DomainError, ValidationErrors
from models.core.parse import clean_text, parse_day, parse_ids
from models.manage.aggregate import (
    PeriodKind,
    Scope,
    activities_of_units,
    period_of,
)
from models.manage.protection import BASE
from models.manage.report import NOT_STATED, build_report

API_VERSION = 1
SCHEMA_ID = "urn:nara:schema:stats:v1"
GRID_PERIODS = (PeriodKind.month, PeriodKind.quarter, PeriodKind.year)
TOKEN_PREFIX = "nara_"


class ApiToken(SQLModel, table=True):
    """An integration's credential: a name, the units it may read, who issued/revoked it."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    token_hash: str = Field(max_length=64, unique=True)
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    revoked_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiTokenUnit(SQLModel, table=True):
    """The units a token may read statistics of."""

    __tablename__ = "api_token_unit"

    token_id: int = Field(foreign_key="api_token.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, admin: User, name: str, unit_ids) -> tuple[ApiToken, str]:
    """A new token for an integration; returns it and its secret (shown once, never stored)."""
    errors: dict = {}
    try:
        name = clean_text(name, "name", 120, _l("Give the integration a name."))
    except DomainError as error:
        errors["name"] = error.message
    ids = parse_ids(unit_ids or [])
    units = [session.get(Unit, i) for i in ids or []]
    if not ids or None in units:
        errors["units"] = _l("Choose at least one unit.")
    if errors:
        raise ValidationErrors(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=_hash(secret), created_by_id=admin.id)
    session.add(token)
    session.flush()
    for unit_id in sorted(set(ids)):
        session.add(ApiTokenUnit(token_id=token.id, unit_id=unit_id))
    log_access(session, admin, "api_token", token.id, "api.token_issue")
    return token, secret


def revoke_token(session: Session, admin: User, token: ApiToken) -> None:
    if not token.active:
        raise DomainError(_l("This token is already revoked."))
    token.revoked_at, token.revoked_by_id = utcnow(), admin.id
    session.add(token)
    log_access(session, admin, "api_token", token.id, "api.token_revoke")


def all_tokens(session: Session) -> list[tuple[ApiToken, list[Unit]]]:
    tokens = session.exec(select(ApiToken).order_by(col(ApiToken.revoked_at).is_not(None),
                                                    col(ApiToken.created_at).desc())).all()
    return [(t, token_units(session, t)) for t in tokens]


def all_units(session: Session) -> list[Unit]:
    return list(session.exec(select(Unit).order_by(Unit.name)))


def token_units(session: Session, token: ApiToken) -> list[Unit]:
    return list(session.exec(select(Unit).join(ApiTokenUnit, ApiTokenUnit.unit_id == Unit.id)
                             .where(ApiTokenUnit.token_id == token.id).order_by(Unit.name)))


def authenticate(session: Session, header: str | None, action: str) -> ApiToken | None:
    """The active token an `Authorization: Bearer …` header carries, else None. Both
    outcomes are logged (a refused one without a subject: the secret is never logged)."""
    secret = (header or "").removeprefix("Bearer ").strip() if (header or "").startswith(
        "Bearer ") else ""
    token = None
    if secret.startswith(TOKEN_PREFIX) and len(secret) < 100:
        token = session.exec(select(ApiToken).where(ApiToken.token_hash == _hash(secret))).first()
    if token is None or not token.active:
        log_access(session, None, "api_token", token.id if token else None, action, "denied")
        return None
    token.last_used_at = utcnow()
    session.add(token)
    log_access(session, None, "api_token", token.id, action)
    return token


# --- the v1 documents -------------------------------------------------------------------


def activities_v1(session: Session, token: ApiToken) -> dict:
    units = token_units(session, token)
    return {
        "$schema": SCHEMA_ID, "version": API_VERSION,
        "units": [{"code": str(u.id), "label": u.name} for u in units],
        "activities": [{"code": a.key, "label": a.name}
                       for a in activities_of_units(session, [u.id for u in units])],
    }


def stats_v1(session: Session, token: ApiToken, activity_key: str, period_kind: str,
             day, unit_ids=None, today: date | None = None) -> dict:
    """One activity's shared tables for a calendar month, quarter or year (a field error
    names the parameter that is wrong)."""
    allowed = {u.id: u for u in token_units(session, token)}
    errors: dict = {}
    if period_kind not in GRID_PERIODS:
        errors["period"] = _l("Choose month, quarter or year.")
    try:
        anchor = parse_day(day, "date")
    except DomainError as error:
        errors["date"] = error.message
    wanted = parse_ids(unit_ids or []) if unit_ids else list(allowed)
    if wanted is None or not wanted or any(u not in allowed for u in wanted):
        errors["units"] = _l("Choose among the token's units.")
    activity = None
    if not errors:
        activities = activities_of_units(session, wanted)
        activity = next((a for a in activities if a.key == activity_key), None)
        if activity is None:
            errors["activity"] = _l("Choose an activity of the chosen units.")
    if errors:
        raise ValidationErrors(errors)
    units = tuple(allowed[u] for u in sorted(set(wanted)))
    period = period_of(period_kind, anchor)
    if period.start > (today or local_today()):
        raise ValidationErrors({"date": _l("That period has not begun.")})
    return _document(session, Scope(units, (activity,), activity), period)


def _cell(code: str, label: str, cell) -> dict:
    return {"code": code, "label": label, "value": cell.shown, "text": cell.text}


def _document(session: Session, scope: Scope, period) -> dict:
    report = build_report(session, scope, period, shared=True, locale="sv")
    activity = scope.activity
    tables = []
    for info in report.fields:
        grid = report.grid(f"field-{info.key}")
        if grid is None:  # counts: one row each in the "counts" grid
            continue
        codes = [c for c, _sv, _en in info.options]
        if len(grid.rows) > len(codes):
            codes.append(NOT_STATED)
        cells = [_cell(code, label, row[0]) for code, (label, row) in zip(codes, grid.rows,
                                                                           strict=True)]
        total = None
        if grid.total:
            total = {"label": grid.total[0], "value": grid.total[1][0].shown,
                     "text": grid.total[1][0].text}
        tables.append({"dimension": {"code": info.key, "label": info.label, "kind": info.kind},
                       "cells": cells, "total": total})
    counts = report.grid("counts")
    count_fields = [f for f in report.fields if report.grid(f"field-{f.key}") is None]
    for info, (label, row) in zip(count_fields, counts.rows if counts else [], strict=False):
        tables.append({"dimension": {"code": info.key, "label": label, "kind": info.kind},
                       "cells": [_cell("sum", label, row[0])], "total": None})
    series = report.grid("series")
    buckets = period.buckets()
    return {
        "$schema": SCHEMA_ID,
        "version": API_VERSION,
        "activity": {"code": activity.key, "label": activity.name},
        "units": [{"code": str(u.id), "label": u.name} for u in scope.units],
        "period": {"kind": str(period.kind), "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "catalogue_versions": _versions(session, scope, period),
        "protection": {"shared": True, "method": "cell-key", "rounding_base": BASE},
        "generated_at": utcnow().replace(microsecond=0).isoformat(),
        "total": {"value": report.total_cell.shown, "text": report.total_cell.text},
        "series": [{"start": b.start.isoformat(), "end": b.end.isoformat(),
                    "value": row[0].shown, "text": row[0].text}
                   for b, (_label, row) in zip(buckets, series.rows, strict=True)],
        "tables": tables,
    }


def _versions(session: Session, scope: Scope, period) -> list[int]:
    """The field-set versions of the tallies counted (the catalogue version used)."""
    from models.catalogue import FieldSet
    from models.tally import Tally
    start, end = period.utc_bounds()
    rows = session.exec(select(FieldSet.version).join(Tally, Tally.field_set_id == FieldSet.id)
                        .where(col(Tally.activity_id) == scope.activity.id,
                               col(Tally.unit_id).in_(scope.unit_ids),
                               Tally.occurred_at >= start, Tally.occurred_at < end)
                        .distinct()).all()
    return sorted(set(rows))


def csv_rows(document: dict) -> list[list[str]]:
    """The same figures as CSV rows with fixed columns (one row per cell)."""
    head = ["activity", "units", "period_kind", "period_start", "period_end", "dimension",
            "dimension_label", "code", "label", "value", "text"]
    units = "|".join(u["code"] for u in document["units"])
    base = [document["activity"]["code"], units, document["period"]["kind"],
            document["period"]["start"], document["period"]["end"]]
    out = [head, base + ["total", "Totalt", "total", "Totalt",
                         _num(document["total"]["value"]), document["total"]["text"]]]
    for bucket in document["series"]:  # dimension "series": code = the bucket's first day
        span = bucket["start"] if bucket["start"] == bucket["end"] else (
            f"{bucket['start']}/{bucket['end']}")
        out.append(base + ["series", "Tidsserie", bucket["start"], span,
                           _num(bucket["value"]), bucket["text"]])
    for table in document["tables"]:
        dim = table["dimension"]
        for cell in table["cells"]:
            out.append(base + [dim["code"], dim["label"], cell["code"], cell["label"],
                               _num(cell["value"]), cell["text"]])
        if table["total"] is not None:  # the table's own total: code "total"
            out.append(base + [dim["code"], dim["label"], "total", table["total"]["label"],
                               _num(table["total"]["value"]), table["total"]["text"]])
    return out


def _num(value) -> str:
    return "" if value is None else str(value)

