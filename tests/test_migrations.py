"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

import models  # noqa: F401


def test_migrations_match_the_models(app):
    engine = app.extensions["nara_engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_secure_delete(app):
    engine = app.extensions["nara_engine"]
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA secure_delete").scalar() == 1
        assert pragma("PRAGMA busy_timeout").scalar() >= 5000


def test_the_daily_counts_migration_counts_the_tallies_already_stored(tmp_path):
    """0020_daily16 on a database with tallies (undone ones too) fills tally_day with what
    the saves would have kept; going back and up again gives the same counts."""
    from alembic import command
    from sqlalchemy import text

    from app import create_app
    from models.access import User
    from models.core.db import new_session
    from models.demo.people import seed_people
    from models.demo.tally import seed_catalogue_and_tallies
    from models.tally import Tally, VoidReason, daily, void_tally
    from views.cli import alembic_config, upgrade_database

    url = f"sqlite:///{tmp_path / 'nara.db'}"
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "FAST_PASSWORD_HASHING": True})
    engine = app.extensions["nara_engine"]
    with app.app_context(), new_session(engine) as session:
        seed_people(session)
        seed_catalogue_and_tallies(session)
        for stored in session.exec(select(Tally).order_by(Tally.id).limit(3)).all():
            void_tally(session, session.get(User, stored.user_id), stored, VoidReason.undo)
        session.commit()
    read = "SELECT * FROM tally_day WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5"
    with engine.connect() as con:
        kept = con.execute(text(read)).all()
    engine.dispose()
    assert len(kept) > 10  # the demo tallies: several activities, days and options
    command.downgrade(alembic_config(url), "0019_stats200")
    command.upgrade(alembic_config(url), "heads")
    with engine.connect() as con:
        assert con.execute(text(read)).all() == kept
    with new_session(engine) as session:
        assert daily.drift(session) == []
    engine.dispose()
