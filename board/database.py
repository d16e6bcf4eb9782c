"""Database engine tuning and the few SQL expressions that differ between SQLite and PostgreSQL."""
from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Float

from .security import READ_ONLY_METHODS

SQLITE_BUSY_TIMEOUT_MS = 10_000


def tune_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and write transactions that take the lock up front.

    pysqlite's own BEGIN handling is switched off so SQLAlchemy controls transactions.
    A request that may write (any non-GET) starts with BEGIN IMMEDIATE: it waits its turn
    for the write lock (up to the busy timeout) instead of failing with "database is locked"
    when a read transaction later tries to upgrade to a write behind another writer.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def _may_write() -> bool:
    """Requests that read only never hold the write lock; everything else (POSTs, CLI) does."""
    return not (has_request_context() and request.method in READ_ONLY_METHODS)


class hours_since(FunctionElement):
    """Hours elapsed from a timestamp column to a given moment, as a float, on any backend."""

    type = Float()
    inherit_cache = True
    name = "hours_since"


@compiles(hours_since, "sqlite")
def _hours_since_sqlite(element, compiler, **kw):
    column, moment = element.clauses
    return f"((julianday({compiler.process(moment, **kw)}) - julianday({compiler.process(column, **kw)})) * 24.0)"


@compiles(hours_since, "postgresql")
def _hours_since_postgresql(element, compiler, **kw):
    column, moment = element.clauses
    return (
        f"(EXTRACT(EPOCH FROM (CAST({compiler.process(moment, **kw)} AS TIMESTAMP)"
        f" - {compiler.process(column, **kw)})) / 3600.0)"
    )
