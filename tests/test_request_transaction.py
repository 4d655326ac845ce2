"""How a request's transaction ends (models/core/db.py, end_session): what the request did
not commit itself never reaches the database; a transaction that only read is committed,
which changes nothing and lets PostgreSQL keep the connection's prepared statements
(psycopg forgets them all on a rollback; bench/scale_out.py: the database's CPU per request
fell by a third)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, insert, select

from models import access
from models.core.db import end_session, new_session


@pytest.fixture
def ends(app):
    """The transaction ends the engine sees, in order ("commit", "rollback")."""
    seen: list[str] = []
    engine = app.extensions["nara_engine"]
    commit = lambda _conn: seen.append("commit")  # noqa: E731
    rollback = lambda _conn: seen.append("rollback")  # noqa: E731
    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    yield seen
    event.remove(engine, "commit", commit)
    event.remove(engine, "rollback", rollback)


def _units(app) -> int:
    with new_session(app.extensions["nara_engine"]) as s:
        return s.execute(select(func.count()).select_from(access.Unit)).scalar_one()


def test_a_transaction_that_only_read_is_committed(app, ends):
    session = new_session(app.extensions["nara_engine"])
    session.execute(select(access.Unit)).all()
    end_session(session)
    assert ends == ["commit"]


def test_a_statement_written_but_not_committed_is_rolled_back(app, ends):
    before = _units(app)
    session = new_session(app.extensions["nara_engine"])
    session.execute(select(access.Unit)).all()
    session.execute(insert(access.Unit).values(name="Ocommittad enhet"))
    end_session(session)
    ended = list(ends)
    assert ("commit" in ended, _units(app)) == (False, before)


def test_an_object_added_but_never_flushed_is_not_saved(app, ends):
    before = _units(app)
    session = new_session(app.extensions["nara_engine"])
    session.execute(select(access.Unit)).all()
    session.add(access.Unit(name="Tillagd men inte sparad"))
    end_session(session)
    ended = list(ends)
    assert ("commit" in ended, _units(app)) == (False, before)


def test_a_change_to_a_loaded_row_not_committed_is_not_saved(app, db, ends):
    unit = access.create_unit(db, "Gamla namnet")
    db.commit()
    ends.clear()
    session = new_session(app.extensions["nara_engine"])
    session.get(access.Unit, unit.id).name = "Nya namnet"
    end_session(session)
    ended = list(ends)
    db.expire_all()
    assert ("commit" in ended, db.get(access.Unit, unit.id).name) == (False, "Gamla namnet")


def test_a_failed_request_is_rolled_back_even_if_it_only_read(app, ends):
    session = new_session(app.extensions["nara_engine"])
    session.execute(select(access.Unit)).all()
    end_session(session, failed=True)
    assert "commit" not in ends


def test_a_page_that_only_reads_ends_with_a_commit(app, people, client, ends):
    people.login(people.user("fia", units=["Fältgruppen"]))
    ends.clear()
    assert client.get("/").status_code == 200
    assert ends == ["commit"]


def test_a_read_only_request_whose_commit_fails_still_ends_cleanly(app, monkeypatch):
    """The answer was made from what was read: a connection lost at the very end must not
    turn it into an error, and the session is closed all the same."""
    from sqlalchemy.exc import OperationalError

    session = new_session(app.extensions["nara_engine"])
    session.execute(select(access.Unit)).all()

    def lost():
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(session, "commit", lost)
    end_session(session)
    assert not session.in_transaction()
