"""Flask CLI commands: schema, users, units, demo data."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from models import access
from models.core.db import new_session
from models.core.errors import DomainError


def _session():
    return new_session(current_app.extensions["nara_engine"])


def alembic_config(url: str):
    """Alembic's configuration for the database at `url` (our migrations/)."""
    from alembic.config import Config as AlembicConfig

    from app import ROOT

    cfg = AlembicConfig(str(ROOT / "migrations" / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_database(url: str) -> None:
    """Bring the schema to the newest revision through Alembic (never create_all)."""
    from alembic import command

    command.upgrade(alembic_config(url), "heads")
    refresh_derived_data(url)


def refresh_derived_data(url: str) -> None:
    """Recompute what the schema stores but the data implies (after every upgrade)."""
    from models.catalogue import refresh_field_sets
    from models.core.db import make_engine, new_session

    engine = make_engine(url)
    try:
        with new_session(engine) as session:
            refresh_field_sets(session)
            session.commit()
    finally:
        engine.dispose()


users_cli = AppGroup("users", help="Manage staff accounts.")
units_cli = AppGroup("units", help="Manage units.")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Full name shown to colleagues.")
@click.option("--role", type=click.Choice([r.value for r in access.Role]), default="staff")
@click.option("--unit", "unit_names", multiple=True, help="Unit name; repeat for several.")
@click.password_option()
def create_user_command(username, display_name, role, unit_names, password):
    """Create a user with a role and units."""
    with _session() as session:
        units = []
        for name in unit_names:
            unit = access.unit_named(session, name)
            if unit is None:
                raise click.ClickException(f"No unit named {name!r}.")
            units.append(unit)
        try:
            access.create_user(session, username, display_name, password, role, units)
        except DomainError as error:
            raise click.ClickException(str(error)) from error
        session.commit()
    click.echo(f"Created {username} ({role}).")


@units_cli.command("create")
@click.argument("name")
def create_unit_command(name):
    """Create a unit."""
    with _session() as session:
        try:
            access.create_unit(session, name)
        except DomainError as error:
            raise click.ClickException(str(error)) from error
        session.commit()
    click.echo(f"Created unit {name}.")


def register_cli(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply all Alembic migrations to DATABASE_URL."""
        upgrade_database(current_app.config["DATABASE_URL"])
        click.echo("Database is up to date.")

    @app.cli.command("demo-seed")
    def demo_seed():
        """Create demo units, users and examples (refused in production)."""
        if current_app.config["NARA_ENV"] == "production":
            raise click.ClickException("demo-seed is refused in production.")
        from models.demo import seed_demo

        with _session() as session:
            rows = seed_demo(session)
        click.echo("Demo users (local use only):")
        for username, password, role in rows:
            click.echo(f"  {username:<8} {password}  ({role})")

    app.cli.add_command(users_cli)
    app.cli.add_command(units_cli)
