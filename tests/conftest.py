"""Fixtures: an app on a migrated database (SQLite always, PostgreSQL when asked).

The schema is built by the Alembic migrations, never by create_all, so every test run
also tests the migrations. SQLite: migrate once into a template file, copy it per test.
PostgreSQL (TEST_DATABASE_URL): one database per xdist worker, migrated once, tables
truncated between tests.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from dataclasses import dataclass

import pytest
from bs4 import BeautifulSoup, Tag
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from models import access
from models.core.db import new_session
from views.cli import upgrade_database

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
PASSWORD = "correct horse battery"
SECRET = "test-secret-not-for-production"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_database(f"sqlite:///{path}")
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    return str(path)


@pytest.fixture(scope="session")
def pg_database():
    """A migrated PostgreSQL database owned by this worker."""
    base = make_url(PG_URL)
    # pid too: several people (and CI) may run the suite on one PostgreSQL at once
    name = f"nara_test_{_worker()}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        con.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade_database(url)
    yield url
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    """Every table empty and every id sequence back at 1, as a fresh migrated database
    minus the migrations' seeded rows (the SQLite template keeps those; the code reads
    its defaults where a row is missing).

    DELETE, not TRUNCATE: TRUNCATE gives each of the ~56 tables a new file, about a
    second per test here, and the suite runs a thousand tests on PostgreSQL; deleting the
    few rows a test wrote takes ~20 ms. The replica role skips the foreign-key and
    append-only triggers, so the order of the tables does not matter."""
    engine = create_engine(url)
    with engine.begin() as con:
        tables = con.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' "
            "AND tablename <> 'alembic_version'"
        )).scalars().all()
        if tables:
            con.execute(text("SET LOCAL session_replication_role = replica"))
            con.execute(text("; ".join(f'DELETE FROM "{t}"' for t in tables)))
            con.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c "
                             "JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE c.relkind = 'S' AND n.nspname = 'public'"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "nara.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _truncate_pg(url)
    return url


class CsrfClient(FlaskClient):
    """A test client that sends the CSRF header like htmx does (csrf=False to omit it)."""

    def open(self, *args, **kwargs):
        send_token = kwargs.pop("csrf", True)
        method = kwargs.get("method", "GET").upper()
        if send_token and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", os.urandom(20).hex())
        signer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return signer.dumps(raw)


@pytest.fixture
def app(database_url):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "PREFER_HTTPS": False,
        "FAST_PASSWORD_HASHING": True,
    })
    app.test_client_class = CsrfClient
    yield app
    app.extensions["nara_engine"].dispose()


@pytest.fixture
def client(app) -> CsrfClient:
    return app.test_client()


class Clock:
    """Nära's clock, moved forward in a test (models.db.utcnow) and put back after it."""

    def move(self, **delta) -> None:
        from datetime import timedelta

        from models.core.db import move_clock

        move_clock(timedelta(**delta))


@pytest.fixture
def clock():
    from models.core.db import reset_clock

    yield Clock()
    reset_clock()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A session on the test database (commit to make rows visible to requests)."""
    session = new_session(app.extensions["nara_engine"])
    yield session
    session.close()


@dataclass
class People:
    """Make units and users, and sign them in."""

    db: object
    client: CsrfClient

    def unit(self, name: str) -> access.Unit:
        from models.demo import unit_named

        unit = unit_named(self.db, name) or access.create_unit(self.db, name)
        self.db.commit()
        return unit

    def user(self, username: str, role: str = "staff", units=(), name: str | None = None):
        user = access.create_user(
            self.db, username, name or username.title() + " Testsson", PASSWORD, role,
            [self.unit(u) if isinstance(u, str) else u for u in units],
        )
        self.db.commit()
        return user

    def login(self, user_or_name, client: CsrfClient | None = None):
        username = getattr(user_or_name, "username", user_or_name)
        client = client or self.client
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    def logout(self, client: CsrfClient | None = None):
        return (client or self.client).post("/logout")


@pytest.fixture
def people(db, client) -> People:
    return People(db, client)


@pytest.fixture
def fia(db, people):
    """Fia of the field workers' unit, signed in, with the seed-001 catalogue loaded (the
    tally tests' usual user; a module may define its own `fia` instead)."""
    from tests.tally_helpers import load_catalogue, member_of

    load_catalogue(db)
    user = member_of(people, db, "faltare-allvarssamtal", "fia")
    people.login(user)
    return user


def soup(response) -> BeautifulSoup:
    """The response (or an HTML string) parsed, to assert on the element that matters
    (STYLE: tests parse)."""
    markup = response if isinstance(response, str) else response.get_data(as_text=True)
    return BeautifulSoup(markup, "html.parser")


def texts(response, selector: str) -> list[str]:
    """The text of every element matching the CSS selector, whitespace collapsed."""
    return [text_of(tag) for tag in soup(response).select(selector)]


def text_of(tag: Tag) -> str:
    """An element's text with whitespace collapsed."""
    return " ".join(tag.get_text(" ").split())


def html_text(response) -> str:
    """The response body with tags removed and whitespace collapsed (for 'page says X')."""
    body = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def pytest_terminal_summary(terminalreporter):
    """Figures a test reports with `record_property("summary", text)` (the route fuzzer's
    request count), printed at the end of the run, with or without -s or xdist."""
    lines = [value for outcome in ("passed", "failed")
             for report in terminalreporter.stats.get(outcome, [])
             if getattr(report, "when", "call") == "call"
             for name, value in getattr(report, "user_properties", []) if name == "summary"]
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)
