"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

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
