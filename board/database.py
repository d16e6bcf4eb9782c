"""Database engine tuning and the few SQL expressions that differ between SQLite and PostgreSQL."""
import os
import time
import weakref
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from flask import g, has_request_context, request
from psycopg.pq import ExecStatus, TransactionStatus
from sqlalchemy import String, bindparam, event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Float
from werkzeug.exceptions import HTTPException

from .extensions import db
from .files import private_file
from .security import READ_ONLY_METHODS
from .write_queue import WRITERS_SUFFIX, QueuedConnection, WriterQueue

SQLITE_BUSY_TIMEOUT_MS = 10_000
READS_ONLY = "board_reads_only"  # execution option: a connection of a POST that only reads takes no write lock


def tune_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and write transactions that queue for the lock and take it up front.

    pysqlite's own BEGIN handling is switched off so SQLAlchemy controls transactions.
    A request that may write (any non-GET) starts with BEGIN IMMEDIATE: it waits its turn
    for the write lock instead of failing with "database is locked" when a read transaction
    later tries to upgrade to a write behind another writer. It waits in the writer queue
    (board/write_queue.py), which wakes it as soon as the lock is free; SQLite's busy timeout
    is the backstop for writers outside the board.
    """
    if engine.dialect.name != "sqlite":
        return
    database = engine.url.database
    if database and database != ":memory:" and not engine.url.query.get("uri"):

        @event.listens_for(engine, "do_connect")
        def create_privately(_dialect, _record, _args, _params):
            """SQLite would create the file 0644, and its -wal and -shm files like it: the board creates it 0600."""
            path = Path(database)
            if not path.exists() and path.parent.is_dir():
                private_file(path)

    queue = WriterQueue(writer_lock_path(engine.url.database), SQLITE_BUSY_TIMEOUT_MS / 1000)

    @event.listens_for(engine, "do_connect")
    def queued_connections(_dialect, _record, _cargs, cparams):
        cparams["factory"] = QueuedConnection

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.writer_queue = queue
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA wal_autocheckpoint = 0")  # a thread of their own checkpoints (board/write_queue.py)
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        if not _may_write() or connection.get_execution_options().get(READS_ONLY, False):
            connection.exec_driver_sql("BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        dbapi_connection.take_turn()  # given back by its COMMIT, ROLLBACK or close, whichever comes first
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            dbapi_connection.end_turn()
            raise


def tune_postgresql(engine: Engine) -> None:
    """Two round trips and the server's parsing and planning saved on each request on PostgreSQL (psycopg).

    The pool's ping before lending a connection (pool_pre_ping) opens the transaction the request then runs in: one
    round trip for both (psycopg would send its own BEGIN right after the ping's SELECT 1). And a request's
    transaction is rolled back without psycopg forgetting its prepared statements: psycopg's rollback() drops them
    all, in case the transaction changed the schema, so a board whose every read ends in a rollback never prepared
    any, and the server parsed and planned every statement of every request (on a member's cached thread page,
    two thirds of the server's CPU). No request changes the schema (migrations run from the command line).

    Only in a request (a transaction its ping began: the session is rolled back after the request has ended): a
    script may change the schema, or ask a connection for AUTOCOMMIT, which psycopg refuses once
    a transaction is open. A connection that does not answer the BEGIN gets the usual ping, which finds it dead; a
    ROLLBACK that fails is left to psycopg's rollback(), which raises."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    ping, rollback = engine.dialect.do_ping, engine.dialect.do_rollback
    lent_to_requests = weakref.WeakSet()  # connections whose transaction a request's ping began

    def ping_by_beginning(dbapi_connection) -> bool:
        if has_request_context() and began_transaction(dbapi_connection):
            lent_to_requests.add(dbapi_connection)
            return True
        return ping(dbapi_connection)

    def rollback_keeping_prepared_statements(connection) -> None:
        dbapi_connection = getattr(connection, "dbapi_connection", connection)  # (the pool's proxy of it, mostly)
        if dbapi_connection in lent_to_requests:
            lent_to_requests.discard(dbapi_connection)
            if rolled_back(dbapi_connection.pgconn):
                return
        rollback(connection)

    engine.dialect.do_ping = ping_by_beginning
    engine.dialect.do_rollback = rollback_keeping_prepared_statements


def began_transaction(connection) -> bool:
    """BEGIN on an idle psycopg connection with psycopg's default transaction settings, as psycopg would send it before
    the next statement: True if the transaction is open (the server answered), False if not sent or refused."""
    if (connection.autocommit or connection.isolation_level is not None or connection.read_only is not None
            or connection.deferrable is not None or connection.info.transaction_status != TransactionStatus.IDLE):
        return False
    result = connection.pgconn.exec_(b"BEGIN")
    return result.status == ExecStatus.COMMAND_OK and connection.info.transaction_status == TransactionStatus.INTRANS


def rolled_back(pgconn) -> bool:
    """ROLLBACK on a connection in a transaction (nothing to do on an idle one), as psycopg's rollback() sends it but
    keeping psycopg's prepared statements: True if the connection is now idle, False if not sent or refused."""
    if pgconn.transaction_status == TransactionStatus.IDLE:
        return True
    if pgconn.transaction_status not in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        return False  # a query under way, or the connection lost
    result = pgconn.exec_(b"ROLLBACK")
    return result.status == ExecStatus.COMMAND_OK and pgconn.transaction_status == TransactionStatus.IDLE


def writer_lock_path(database: str | None) -> str | None:
    """The writer queue's lock file beside a database file ("board.db" → "board.db-writers"); None in memory."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database) + WRITERS_SUFFIX


def _may_write() -> bool:
    """Whether a transaction beginning now may write: then it takes SQLite's write lock up front.

    Never in a request that reads only; in a POST, not while it is reading (see `reading`), and not after it
    has committed (every view commits once, at the end: what follows only renders). The CLI always may.
    """
    if not has_request_context():
        return True
    return request.method not in READ_ONLY_METHODS and not g.get("database_reading") and not g.get("database_committed")


@contextmanager
def reading():
    """The reads, checks and slow work (rendering Markdown) a POST does before it writes, without the write lock.

    On SQLite a transaction begun inside is a plain BEGIN, and it is committed (nothing was written) when the
    block ends, so the request's next statement begins with BEGIN IMMEDIATE: the lock is held for the writes
    only, and other writers wait less. Rows read inside stay usable afterwards (expire_on_commit is off).
    Nothing may be written inside. On PostgreSQL the block only ends a read transaction early.
    """
    g.database_reading = True
    try:
        yield
    except HTTPException:  # a 403, 404 or redirect decided on what was read: nothing to undo
        db.session.commit()
        raise
    except BaseException:
        db.session.rollback()
        raise
    else:
        db.session.commit()
    finally:
        g.database_reading = False


def _note_commit(_session) -> None:
    if has_request_context() and not g.get("database_reading"):
        g.database_committed = True


event.listen(db.session, "after_commit", _note_commit)


def one_at_a_time(connection, key: str) -> None:
    """On PostgreSQL the transaction waits for any other that holds `key`, and holds it until it ends.

    An advisory lock: it serialises the writes that must not interleave (one member's votes on one post, one
    member's replies, one rate-limit count) and nothing else; no row is locked, so other transactions that only
    reference the same rows never wait. SQLite needs none: BEGIN IMMEDIATE already lets one writer in at a time.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(advisory_lock_statement(), {"key": key})


@cache
def advisory_lock_statement():
    """one_at_a_time's SELECT, built once (a reply and a vote take one, and so does each rate-limit count)."""
    return select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("key", type_=String), 0)))


class TooSlow(Exception):
    """Statements ran past their time budget and the database stopped them (the session was rolled back)."""


QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by statement_timeout
PROGRESS_STEPS = 1_000  # SQLite virtual-machine instructions between two looks at the clock (~1 % overhead)


@contextmanager
def time_budget(milliseconds: int):
    """Statements run inside are stopped once `milliseconds` have passed, and TooSlow raised.

    PostgreSQL: SET LOCAL statement_timeout, so each statement for the rest of the transaction gets the budget
    (a view that searches only renders afterwards). SQLite: a progress handler that interrupts the running
    statement when the clock passes the deadline, one budget for every statement inside the block.
    """
    connection = db.session.connection()
    fired = []
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(milliseconds))}")  # 0 would mean none
    else:
        deadline = time.monotonic() + milliseconds / 1000
        sqlite = connection.connection.driver_connection

        def past_deadline() -> bool:
            if time.monotonic() >= deadline:
                fired.append(True)
                return True
            return False

        sqlite.set_progress_handler(past_deadline, PROGRESS_STEPS)
    try:
        yield
    except OperationalError as error:
        if not (fired or getattr(error.orig, "sqlstate", None) == QUERY_CANCELED):
            raise
        db.session.rollback()  # PostgreSQL has aborted the transaction; SQLite's statement was interrupted
        raise TooSlow(f"stopped after {milliseconds} ms") from error
    finally:
        if connection.dialect.name != "postgresql":
            sqlite.set_progress_handler(None, 0)


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
