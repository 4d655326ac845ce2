"""Log review (loggkontroll): a manager checks who read or wrote what about the clients
of their units, filtered by person, client and dates. Denied attempts show too."""

from __future__ import annotations

from models.core.errors import DomainError
from models.core.parse import parse_day
from models.journal import shift as shifts
from views import db, render, request, signed_in, user
from views.journal.base import Clock, as_int, field_errors
from views.journal.blueprint import bp


@bp.route("/journal/log")
@signed_in("journal.log")
def access_log():
    """The access log for my units' clients, newest first, 100 rows a page."""
    args = request.args
    users, clients = shifts.log_filter_choices(db(), user())
    errors, rows = {}, []
    try:
        start = parse_day(args.get("start"), "start", required=False)
        end = parse_day(args.get("end"), "end", required=False)
        rows = shifts.log_rows(db(), user(), as_int(args.get("user")), as_int(args.get("client")),
                               start, end, as_int(args.get("before")))
    except DomainError as error:
        errors = field_errors(error)
    more = len(rows) == shifts.LOG_PAGE
    return render("journal/access_log.html", "log_rows", rows=rows, users=users,
                  clients=clients, args=args, errors=errors, more=more, clock=Clock(),
                  actions=shifts.LOG_ACTIONS), 422 if errors else 200
