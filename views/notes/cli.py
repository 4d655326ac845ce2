"""`flask notes …`: the daily shredding of idle working contacts, and unit idle limits.

Run `flask --app app notes shred-idle` once a day (cron or a systemd timer; see README).
It prints counts only: never a pseudonym, never a note.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from models import notes as notes_model
from models.access import unit_named
from models.core.db import new_session
from models.core.errors import ValidationErrors

notes_cli = AppGroup("notes", help="Working notes: shred idle contacts, set idle limits.")


def _session():
    return new_session(current_app.extensions["nara_engine"])


@notes_cli.command("shred-idle")
def shred_idle_command():
    """Shred contacts with no talk for the unit's idle days plus its grace period."""
    with _session() as session:
        logs = notes_model.shred_idle(session)
        session.commit()
        wiped = notes_model.wipe_freed_pages(session)
    contacts = sum(log.contacts for log in logs)
    notes = sum(log.notes for log in logs)
    click.echo(f"Shredded {contacts} idle contact(s) with {notes} note(s).")
    if not wiped:
        raise click.ClickException("The database log could not be checkpointed; run again.")


@notes_cli.command("idle-limit")
@click.argument("unit_name")
@click.option("--days", "idle_days", type=int, required=True,
              help="Days without a talk before a contact is proposed for shredding.")
@click.option("--grace", "grace_days", type=int, default=notes_model.DEFAULT_GRACE_DAYS,
              show_default=True, help="Days after the proposal before it is shredded.")
def idle_limit_command(unit_name, idle_days, grace_days):
    """Set a unit's idle limit for working contacts."""
    with _session() as session:
        unit = unit_named(session, unit_name)
        if unit is None:
            raise click.ClickException(f"No unit named {unit_name!r}.")
        try:
            notes_model.set_unit_setting(session, unit.id, idle_days, grace_days)
        except ValidationErrors as invalid:
            raise click.ClickException(str(invalid)) from invalid
        session.commit()
    click.echo(f"{unit_name}: proposed after {idle_days} days, shredded {grace_days} days later.")
