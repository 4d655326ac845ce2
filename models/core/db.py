"""Engine and session plumbing: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, bindparam, event, inspect
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlalchemy.sql import Select
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, create_engine

from models.core.zone import local_date

_clock_offset = timedelta(0)


def utcnow() -> datetime:
    """Aware UTC timestamp; every stored time in Nära is UTC (SQLModel refuses naive ones)."""
    return datetime.now(UTC) + _clock_offset


def move_clock(by: timedelta) -> None:
    """Tests only: move Nära's clock (idle and absolute session limits, retention)."""
    global _clock_offset
    _clock_offset += by


def reset_clock() -> None:
    global _clock_offset
    _clock_offset = timedelta(0)


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys, a busy timeout and secure delete."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 15}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        _track_writes(engine)
        return engine
    engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)
    _track_writes(engine)
    return engine


# --- ending a request's transaction -------------------------------------------------------
#
# A request that only read ends its transaction with COMMIT, not ROLLBACK: the same for the
# data, but psycopg forgets every prepared statement of the connection on a rollback (and
# sends DEALLOCATE ALL), so PostgreSQL parsed and planned each statement of every request
# anew (bench/scale_out.py: 231 DEALLOCATE ALL and 385 ROLLBACK in 6 s of load).

_WROTE = "nara_wrote"
_log = logging.getLogger(__name__)


def _track_writes(engine: Engine) -> None:
    """Mark a connection's transaction as written by any statement that is not a SELECT
    (DML, SET LOCAL, DDL: whatever it is, it is not committed unasked)."""

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.info[_WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn, _cursor, statement, _parameters, _context, _executemany):
        if statement.lstrip()[:6].upper() != "SELECT":
            conn.info[_WROTE] = True


def end_session(session: Session, failed: bool = False) -> None:
    """End a request's session. Writes the request did not commit itself are rolled back,
    as is everything after a failure; a transaction that only read (no statement but
    SELECTs, no pending ORM change) is committed, which changes nothing and keeps the
    connection's prepared statements (above)."""
    try:
        if failed:
            session.rollback()
        elif (session.in_transaction() and not (session.new or session.dirty or session.deleted)
              and not session.connection().info.get(_WROTE, True)):
            try:
                session.commit()
            except SQLAlchemyError as error:
                # Nothing was written and the answer is made: it stands. The connection is
                # dropped by close() below (the pool finds it broken).
                _log.warning("ending a read-only transaction failed: %s", type(error).__name__)
    finally:
        session.close()


class lower_text(FunctionElement):
    """lower() that knows Å, Ä and Ö on both databases: SQLite's own lower() folds ASCII
    only ("öberg" did not find "Öberg"), so SQLite gets Python's str.lower (registered on
    each connection, `_sqlite_pragmas`); PostgreSQL's lower() follows its UTF-8 locale."""

    type = String()
    inherit_cache = True
    name = "lower_text"


@compiles(lower_text)
def _lower_sqlite(element, compiler, **kw):
    return f"nara_lower({compiler.process(element.clauses, **kw)})"


@compiles(lower_text, "postgresql")
def _lower_postgresql(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _local_day(value):
    """The local day (NARA_TIMEZONE) of a stored UTC time, as SQLite stores a date: what
    PostgreSQL's `CAST(t AT TIME ZONE tz AS DATE)` gives (models/tally/daily.py)."""
    return None if value is None else local_date(datetime.fromisoformat(value)).isoformat()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.create_function("nara_lower", 1, _lower, deterministic=True)
    dbapi_conn.create_function("nara_local_day", 1, _local_day, deterministic=True)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA synchronous=NORMAL")
    # seed 000: shredded working notes must not survive in freed pages.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def new_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


_BY_ID: dict[type, Select] = {}


def get_by_id(session: Session, model: type, ident):
    """`session.get` for a single-column primary key, through a statement built once per
    model and read as plain values (`loaded_row`): the identity map still answers when it
    holds the row, and otherwise the lookup costs about half of `session.get`'s (which
    builds its select each time and loads through the ORM). Pending changes are flushed
    first, as the ORM's own query would."""
    mapper = inspect(model)
    found = session.identity_map.get(mapper.identity_key_from_primary_key((ident,)))
    if found is not None:
        return found
    stmt = _BY_ID.get(model)
    if stmt is None:
        (pk,) = mapper.primary_key
        stmt = _BY_ID[model] = sa_select(*model.__table__.columns).where(
            pk == bindparam("ident"))
    if session.autoflush and (session.new or session.deleted or session.dirty):
        session.flush()
    row = session.connection().execute(stmt, {"ident": ident}).first()
    # The identity map holds objects weakly: one the caller drops is gone before the
    # request asks for it again (a journal save checked the assignment, then read it a
    # second time to render the bubble). Sessions live one request, so they keep what
    # they loaded by id until they close (loaded_row).
    return None if row is None else loaded_row(session, model, row)


def insert_missing(session: Session, model: type, rows: list[dict], keys: list[str]) -> None:
    """Insert the rows that are not there yet, by their unique `keys`, in one statement that
    tolerates a concurrent insert of the same rows (INSERT … ON CONFLICT DO NOTHING, on
    SQLite and PostgreSQL): two first readers of a list of defaults can both call this, and
    neither gets a duplicate or an IntegrityError."""
    if not rows:
        return
    session.execute(upsert_insert(session, model.__table__).values(rows)
                    .on_conflict_do_nothing(index_elements=keys))


def detached_row(model: type, values: dict):
    """The ORM object for a row just written with every column known (an INSERT's values
    and its new id), as a query would have loaded it: the values go straight into the
    object, without the model's validation (they were validated before the INSERT) and
    without change tracking (there is nothing to flush). Columns not given take the
    model's defaults. About a fifth of `model(**values)`.
    `session.add` then makes it the session's own, as if read back."""
    if not model.__mapper__.configured:
        # A fresh process that has not queried yet (a gunicorn worker's first request:
        # the session's user is made this way): the ORM sets up its attributes at first
        # use, and without them the identity key below cannot be read.
        configure_mappers()
    missing = {name: field.get_default(call_default_factory=True)
               for name, field in model.model_fields.items()
               if name not in values and not field.is_required()}
    obj = model._sa_class_manager.new_instance()
    obj.__dict__.update(missing)
    obj.__dict__.update(values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    unknown = [c.key for c in model.__table__.columns if c.key not in obj.__dict__]
    if unknown:  # a column left out would be read back from the database on first use
        raise ValueError(f"{model.__name__}: no value for {unknown}")
    make_transient_to_detached(obj)
    return obj


def loaded_row(session: Session, model: type, values):
    """The session's object for a row read as plain values in its table's column order (a
    Core SELECT of `model.__table__.columns`, cheaper than the ORM's loading): the one the
    session holds already, as an ORM query would return it, else one made from the values
    (`detached_row`) and added as if loaded. The session keeps it until it closes, as
    `get_by_id` keeps what it reads."""
    keys = _COLUMN_KEYS.get(model)
    if keys is None:
        keys = _COLUMN_KEYS[model] = [c.key for c in model.__table__.columns]
    values = dict(zip(keys, values, strict=True))
    mapper = model.__mapper__
    held = session.identity_map.get(
        mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key]))
    if held is not None:
        return held
    obj = detached_row(model, values)
    session.add(obj)
    session.info.setdefault("nara_by_id", []).append(obj)
    return obj


_COLUMN_KEYS: dict[type, list[str]] = {}


_INSERT_ONCE: dict = {}


def insert_once(session: Session, table, row: dict):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new id, or None when a row with
    the same unique key (a client-made UUID: an offline retry, a twin submission) is
    already there — then nothing is written and the caller reads the stored one.

    The statement is built once per table and dialect and bound per call, so SQLAlchemy's
    compiled cache answers it without walking the values each time."""
    dialect = session.get_bind().dialect.name
    stmt = _INSERT_ONCE.get((table.name, dialect))
    if stmt is None:
        stmt = _INSERT_ONCE[(table.name, dialect)] = (
            upsert_insert(session, table).on_conflict_do_nothing().returning(table.c.id))
    return session.execute(stmt, row).scalar()


def upsert_insert(session: Session, table):
    """The database's own INSERT for `table`, the one with ON CONFLICT (SQLite and
    PostgreSQL spell it alike)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)
