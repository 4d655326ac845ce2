"""`flask catalogue import|export`: a municipality loads or saves its activity table."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from models.catalogue import DEFAULT_FILE, dump, export_catalogue, import_catalogue, load_file
from models.core.db import new_session
from models.core.errors import DomainError
from models.tally import daily

catalogue_cli = AppGroup("catalogue", help="Import or export the activity catalogue (seed 001).")


@catalogue_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), default=str(DEFAULT_FILE))
@click.option("--map", "mapping", multiple=True, metavar="FILE_NAME=UNIT",
              help="Use the Nära unit UNIT where the file says FILE_NAME; repeat as needed.")
@click.option("--create-units", is_flag=True, help="Create units the file names but Nära lacks.")
def import_command(path, mapping, create_units):
    """Load a catalogue file (YAML or JSON); changed field lists get a new version."""
    unit_map = {}
    for item in mapping:
        source, sep, target = item.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise click.BadParameter(f"{item!r} is not FILE_NAME=UNIT", param_hint="--map")
        unit_map[source.strip()] = target.strip()
    with new_session(current_app.extensions["nara_engine"]) as session:
        try:
            report = import_catalogue(session, load_file(path), unit_map, create_units)
        except DomainError as error:
            session.rollback()
            raise click.ClickException(str(error)) from error
        session.commit()
    click.echo(f"Created: {len(report.created)}, updated: {len(report.updated)}, "
               f"new field-set versions: {len(report.new_versions)}, "
               f"units created: {len(report.units_created)}.")
    for line in report.created + report.updated + report.new_versions + report.units_created:
        click.echo(f"  {line}")


@catalogue_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def export_command(path):
    """Write the current catalogue to PATH (.yaml/.yml or .json), every field in full."""
    with new_session(current_app.extensions["nara_engine"]) as session:
        data = export_catalogue(session)
    dump(data, path)
    click.echo(f"Wrote {len(data['activities'])} activities to {path}.")


tallies_cli = AppGroup("tallies", help="Historic tallies from spreadsheets (issue 18 §2).")


@tallies_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--activity", "activity_key", required=True, help="The activity's key or name.")
@click.option("--unit", "unit_name", required=True, help="The responsible unit's name.")
@click.option("--as", "username", default="admin", show_default=True,
              help="Who imports (recorded with the import).")
@click.option("--confirm", is_flag=True, help="Store the tallies (without it: a dry run).")
@click.option("--skip-invalid", is_flag=True, help="Store the valid rows, report the others.")
def tallies_import_command(path, activity_key, unit_name, username, confirm, skip_invalid):
    """Check a CSV/XLSX file of tallies row by row; store them with --confirm."""
    from pathlib import Path

    from models.access import unit_named, user_named
    from models.tally import check_file, find_activity, import_file
    from views.tally.imports import earliest_day

    data = Path(path).read_bytes()
    with new_session(current_app.extensions["nara_engine"]) as session:
        activity = find_activity(session, activity_key)
        unit = unit_named(session, unit_name)
        who = user_named(session, username)
        for missing, what in ((activity, "activity"), (unit, "unit"), (who, "user")):
            if missing is None:
                raise click.ClickException(f"No such {what}.")
        try:
            if confirm:
                report = import_file(session, who, activity, unit.id, data, Path(path).name,
                                     earliest_day(), skip_invalid=skip_invalid)
            else:
                report = check_file(session, activity, unit.id, data, Path(path).name,
                                    earliest_day())
        except DomainError as error:
            session.rollback()
            raise click.ClickException(str(error)) from error
        if report.stored is not None:
            session.commit()
    click.echo(f"{report.file_name}: {report.rows} rows, {report.valid_rows} valid, "
               f"{report.tallies} tallies (sha256 {report.sha256}).")
    for problem in report.problems:
        click.echo(f"  {problem.message}")
    if report.already is not None:
        click.echo(f"Imported before ({report.already.created_at:%Y-%m-%d}): nothing stored.")
        return
    if report.stored is not None:
        click.echo(f"Stored {report.stored} tallies.")
        return
    if confirm and report.problems:
        raise click.ClickException("Nothing stored: correct the rows or use --skip-invalid.")
    click.echo("Dry run: nothing stored. Add --confirm to store.")


@tallies_cli.command("check-counts")
@click.option("--repair", is_flag=True, help="Recount the daily counts from the tallies.")
def tallies_check_counts_command(repair):
    """Compare the daily counts statistics read with the tallies themselves (exit 1 when
    they differ); with --repair, recount them (models/tally/daily.py)."""
    with new_session(current_app.extensions["nara_engine"]) as session:
        differ = daily.drift(session)
        if repair and differ:
            daily.rebuild(session)
            session.commit()
    if not differ:
        click.echo("The daily counts match the tallies.")
        return
    click.echo(f"{len(differ)} daily counts differ from the tallies"
               + (": recounted." if repair else "."))
    for activity_id, day, field_key, option, unit_id, kept, _ks, true, _ts in differ[:20]:
        click.echo(f"  activity {activity_id} unit {unit_id} {day} "
                   f"{field_key or '(tallies)'} {option or ''}: kept {kept or 0}, "
                   f"counted {true or 0}")
    if not repair:
        raise SystemExit(1)
