"""`flask records …`: the yearly retention routine (see README, "Records management").

`flask --app app records plan [--year Y]` lists what is due: counts per unit; with
`--files --as USER` (a records officer) the files too, each listing access-logged.
`flask --app app records run --year Y` is a dry run; `--confirm` archives the born-day
files, verifies the packages, then destroys. It prints counts and package ids only.
`flask --app app records prune-log` is a dry run of the access log's own retention;
`--confirm` deletes the due rows. It runs under the tables' owner (its own DATABASE_URL):
the app's role may not delete access-log rows.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from models.access import User, user_named
from models.core.clock import local_today
from models.core.db import new_session
from models.core.errors import DomainError
from models.records import log_retention, retention
from views.records.retention import archive_root, render_pdf

records_cli = AppGroup("records", help="Records management: retention, destruction, archive.")


def _session():
    return new_session(current_app.extensions["nara_engine"])


def _user(session, username: str | None) -> User | None:
    if not username:
        return None
    found = user_named(session, username)
    if found is None or not found.active:
        raise click.ClickException(f"No active user named {username!r}.")
    return found


def _print_plan(plans, year: int, files: bool) -> None:
    click.echo(f"Due by the end of {year}:")
    for p in plans:
        click.echo(f"  {p.unit.name}: {p.count('due')} due, {p.count('archive')} to archive, "
                   f"{p.count('held')} held, {p.count('destroy')} to destroy")
        for f in p.files if files else ():
            marks = " ".join(m for m, on in (("archive", f.archive), ("held", f.hold)) if on)
            click.echo(f"    {f.client.personal_number} {f.client.name} "
                       f"({', '.join(f.kinds)}; due {f.due}) {marks}".rstrip())
    if not plans:
        click.echo("  nothing")


@records_cli.command("plan")
@click.option("--year", type=int, default=None, help="Files due by the end of this year.")
@click.option("--files", is_flag=True, help="List the files too (needs --as).")
@click.option("--as", "username", default=None, help="The records officer listing names.")
def plan_command(year, files, username):
    """List what is due for destruction and archiving."""
    year = year or local_today().year
    with _session() as session:
        try:
            plans = retention.plan(session, year)
            if files:
                who = _user(session, username)
                if who is None:
                    raise click.ClickException("--files needs --as USER (a records officer).")
                retention.log_plan_listing(session, who, plans)
                session.commit()
        except DomainError as error:
            raise click.ClickException(str(error)) from error
        _print_plan(plans, year, files)


@records_cli.command("run")
@click.option("--year", type=int, required=True, help="Destroy what is due by this year's end.")
@click.option("--confirm", is_flag=True, help="Execute; without it nothing is changed.")
@click.option("--as", "username", default=None, help="Who runs it (for the log).")
def run_command(year, confirm, username):
    """Archive the born-day files, then destroy the due files (dry run by default)."""
    with _session() as session:
        try:
            if not confirm:
                _print_plan(retention.plan(session, year), year, False)
                click.echo("Dry run: nothing was changed. Add --confirm to execute.")
                return
            result = retention.execute(session, year, archive_root(), render_pdf,
                                       _user(session, username))
            session.commit()
        except DomainError as error:
            session.rollback()
            raise click.ClickException(str(error)) from error
        wiped = retention.finish(session)
    click.echo(f"Run {result.run.id}: destroyed {result.run.files} file(s), "
               f"archived {len(result.packages)}.")
    for log in result.logs:
        click.echo(f"  unit {log.unit_id} {log.kind}: {log.files} file(s), {log.entries} "
                   f"entries, {log.plans} plans, {log.consents} consents, "
                   f"{log.assignments} assignments")
    for package_id in result.packages:
        click.echo(f"  package {package_id}")
    if not wiped:
        raise click.ClickException("The database log could not be checkpointed; run again.")


@records_cli.command("prune-log")
@click.option("--confirm", is_flag=True, help="Delete; without it nothing is changed.")
@click.option("--as", "username", default=None, help="Who runs it (for the log).")
def prune_log_command(confirm, username):
    """Remove access-log rows whose retention has passed (dry run by default)."""
    with _session() as session:
        plan = log_retention.prune_plan(session)
        click.echo(f"Access log: {plan.due} row(s) written before {plan.kept_from} are due "
                   f"({plan.years} years).")
        if plan.held:
            reviews = ", ".join(str(r) for r in plan.held_reviews)
            click.echo(f"  {plan.held} due row(s) kept: unsigned log reviews sample them "
                       f"(review {reviews}).")
        if not confirm:
            click.echo("Dry run: nothing was changed. Add --confirm to delete.")
            return
        try:
            run = log_retention.prune(session, _user(session, username))
            session.commit()
        except DomainError as error:
            session.rollback()
            raise click.ClickException(str(error)) from error
        wiped = log_retention.finish(session)
    click.echo(f"Run {run.id}: deleted {run.log_rows} access-log row(s).")
    if not wiped:
        raise click.ClickException("The database log could not be checkpointed; run again.")
