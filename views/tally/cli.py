"""`flask catalogue import|export`: a municipality loads or saves its activity table."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from models.catalogue import DEFAULT_FILE, dump, export_catalogue, import_catalogue, load_file
from models.core.db import new_session
from models.core.errors import DomainError

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
