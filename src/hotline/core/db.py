"""Database: engine, sessions, declarative base with a naming convention, shared column helpers."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned tz-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use tz-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN itself
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the write lock up front (no lock-upgrade deadlocks); readers of a WAL database need
            # none: `engine.execution_options(sqlite_begin="DEFERRED")` gives such a read engine.
            conn.exec_driver_sql("BEGIN " + conn.get_execution_options().get("sqlite_begin", "IMMEDIATE"))

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def read_engine(engine: Engine) -> Engine:
    """The same database for read-mostly work (GET requests): on SQLite it takes no lock until it writes."""
    return engine.execution_options(sqlite_begin="DEFERRED")


def make_sessionmaker(engine: Engine, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """Sessions for an engine; `info` (e.g. the event hub) is given to every session."""
    return sessionmaker(bind=engine, expire_on_commit=False, info=info or {})


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    with factory() as session, session.begin():
        yield session


def draw_ids(session: Session, counts: dict[type[Base], int]) -> dict[type[Base], list[int]]:
    """Fresh `id`s for rows about to be inserted, for several tables in one statement. Rows that carry their id
    go in with one pipelined statement per table and nothing read back (no RETURNING). PostgreSQL draws from the
    tables' sequences; on SQLite the writer holds the database lock, so max(id) + 1 … are free — until they are
    inserted, which must come before the next draw in the transaction."""
    dialect = session.get_bind().dialect.name
    sql = _draw_sql(dialect, tuple(m.__table__.name for m in counts))  # type: ignore[attr-defined]
    row = session.connection().exec_driver_sql(sql, {f"n{i}": n for i, n in enumerate(counts.values())}).one()
    if dialect == "postgresql":
        return {m: list(ids) for m, ids in zip(counts, row, strict=True)}
    return {m: list(range(top + 1, top + 1 + n)) for (m, n), top in zip(counts.items(), row, strict=True)}


@functools.cache
def _draw_sql(dialect: str, tables: tuple[str, ...]) -> str:
    if dialect == "postgresql":
        return "SELECT " + ", ".join(f"ARRAY(SELECT nextval(pg_get_serial_sequence('{t}', 'id')) "
                                     f"FROM generate_series(1, %(n{i})s))" for i, t in enumerate(tables))
    return "SELECT " + ", ".join(f"(SELECT coalesce(max(id), 0) FROM {t})" for t in tables)


@contextmanager
def pipelined(session: Session) -> Iterator[None]:
    """Writes inside are sent without waiting for each other's answers: PostgreSQL's pipeline mode (psycopg), one
    round trip for them all, errors raised at the end of the block. Only statements whose results are not read
    (INSERT, UPDATE) belong inside. Elsewhere (SQLite, in process) a plain block."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    import psycopg

    try:
        with session.connection().connection.driver_connection.pipeline():  # type: ignore[union-attr]
            yield
    except psycopg.Error as exc:  # raised at the end of the block, outside SQLAlchemy: give it SQLAlchemy's class
        raise DBAPIError.instance(None, None, exc, psycopg.Error) from exc


def bulk_insert(session: Session, objects: Sequence[Base], *, attach: bool = False) -> None:
    """INSERT new objects of one class with one statement, past the unit of work (about half its CPU) and reading
    nothing back: an id left unset is the database's to give. Column defaults are set on the objects as a flush
    would; `attach` makes them persistent in the session, as if just loaded (their relationships unloaded)."""
    if not objects:
        return
    mapper = inspect(type(objects[0]))
    rows = []
    for obj in objects:
        row = {}
        for prop in mapper.column_attrs:
            col = prop.columns[0]
            value = obj.__dict__.get(prop.key)
            if value is None and col.primary_key and col.autoincrement in (True, "auto") and len(mapper.primary_key) == 1:
                continue  # the database gives the id
            if prop.key not in obj.__dict__:  # unset: its default, as a flush would, or NULL
                if col.default is not None:
                    value = col.default.arg if col.default.is_scalar else col.default.arg(None)  # type: ignore[union-attr]
                setattr(obj, prop.key, value)
            row[col.key] = value
        rows.append(row)
    session.connection().execute(mapper.local_table.insert().inline(), rows)  # inline: nothing read back
    if attach:
        for obj in objects:
            make_transient_to_detached(obj)
            session.add(obj)


def import_all_models() -> MetaData:
    """Import every domain's models so Base.metadata is complete (Alembic, tests)."""
    from hotline.core.modules import domain_modules

    importlib.import_module("hotline.core.models")
    list(domain_modules("models"))  # importing a models module registers its tables
    return Base.metadata


def utcnow_default() -> datetime:
    return datetime.now(UTC)
