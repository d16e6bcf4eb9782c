"""Rate-limit counts in the board's own database: one count for all the worker processes, without Redis.

The limits library keeps counts in memory (one count per process: `make run`'s two workers would let twice
each limit through), in Redis, Memcached or MongoDB; nothing between. Without Redis the board's database is
what every process of one machine already shares, so the counts live there: a row per counted attempt, until
it leaves the limit's moving window (the strategy the board uses with Redis too). With REDIS_URL the counts
stay in Redis, shared by every app server.

Only the limited POSTs count (reads never reach a limit: board/limits.py), each on its own connection, apart from
the request's session. On PostgreSQL the count is in the board's database, in a short transaction where an advisory
lock per key makes "count, then add" one step. On SQLite it is in a small database of its own beside the board's
(`board.db-limits`, same table): counting takes that file's write lock, never the board's, so a vote or a reply
queues once for the board's write lock (for its own write), not twice. (Those counts are not worth a backup.) There
"count, then add" is one INSERT … SELECT on its own (no transaction around it): SQLite takes the write lock before the
statement reads, so it is one step, and holds it inside that one call into SQLite (tens of microseconds), never while
the thread waits to win the GIL back. So it takes no writer's turn (board/write_queue.py): a turn of a transaction's
five statements, each giving up the GIL and waiting to win it back from the worker's other threads, lasted up to tens
of milliseconds under load, and every vote and reply of every process queued for it. Two counts that do meet wait in
SQLite's busy handler (a millisecond, then a few). The window is read afterwards, for the X-RateLimit headers.

Attempts that have left every window count for nothing (each count looks at its window only); a process deletes them
every SWEEP_SECONDS (on SQLite one DELETE on its own too), not on every count, so the table stays small without a
DELETE in each limited request.
"""
import sqlite3
import time
import weakref
from contextlib import contextmanager
from functools import cache

from flask import current_app, g, has_request_context
from limits.storage import MovingWindowSupport, Storage
from sqlalchemy import Double, String, bindparam, create_engine, delete, func, insert, select
from sqlalchemy.dialects.sqlite import pysqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateIndex, CreateTable

from .database import READS_ONLY, one_at_a_time, tune_sqlite, writer_lock_path
from .extensions import db
from .models import RateLimitHit

SCHEME = "reelboard-database"
hits = RateLimitHit.__table__
ENGINE = "board_limit_counts"  # app.extensions key: the engine the counts are kept through
SQLITE_NAMED = pysqlite.dialect(paramstyle="named")  # SQL for sqlite3's execute() with a dict of values
SWEEP_SECONDS = 10.0  # how often a process deletes the attempts gone from every window


def counts_engine() -> Engine:
    """Where this app counts: the board's own database, or on SQLite (a file) the database beside it."""
    engine = current_app.extensions.get(ENGINE)
    if engine is None:
        engine = current_app.extensions[ENGINE] = engine_for_counts(db.engine)
    return engine


def engine_for_counts(board: Engine) -> Engine:
    database = board.url.database if board.dialect.name == "sqlite" else None
    if writer_lock_path(database) is None:  # PostgreSQL, or SQLite in memory: the board's own database
        return board
    engine = create_engine(board.url.set(database=f"{database}-limits"))
    tune_sqlite(engine)  # made 0600, WAL, and writers queue for its lock (board.db-limits-writers)
    with engine.begin() as connection:  # IF NOT EXISTS: workers starting together may both get here
        connection.execute(CreateTable(hits, if_not_exists=True))
        for index in hits.indexes:
            connection.execute(CreateIndex(index, if_not_exists=True))
    return engine


@cache
def window_statement():
    """A key's attempts in its window now, and when the first of them leaves it: built once."""
    key, now = bindparam("key", type_=String), bindparam("now", type_=Double)
    return select(func.count(), func.min(hits.c.expires_at)).where(hits.c.key == key, hits.c.expires_at > now)


@cache
def sweep_statement():
    """The attempts gone from every window by "now", deleted: built once, not while holding the counts' write lock.
    SKIP LOCKED (PostgreSQL only) leaves rows another sweep is deleting."""
    now = bindparam("now", type_=Double)
    expired = select(hits.c.id).where(hits.c.expires_at <= now).with_for_update(skip_locked=True)
    return delete(hits).where(hits.c.id.in_(expired))


@cache
def count_statement():
    """One counted attempt: built once."""
    return insert(hits)


@cache
def count_if_room_sql() -> str:
    """SQLite: one attempt added if the key's window has room for it, in one statement (an INSERT … SELECT that adds
    no row when the window is full), as SQL for the driver's own connection, its values bound by name: built once."""
    key, now = bindparam("key", type_=String), bindparam("now", type_=Double)
    counted = select(func.count()).where(hits.c.key == key, hits.c.expires_at > now).scalar_subquery()
    room = select(key, bindparam("expires_at", type_=Double)).where(counted < bindparam("limit"))
    return str(insert(hits).from_select(["key", "expires_at"], room).compile(dialect=SQLITE_NAMED))


@cache
def sweep_sql() -> str:
    """sweep_statement as SQL for the driver's own SQLite connection: built once."""
    return str(sweep_statement().compile(dialect=SQLITE_NAMED))


@cache
def window_sql() -> str:
    """window_statement as SQL for the driver's own SQLite connection: built once."""
    return str(window_statement().compile(dialect=SQLITE_NAMED))


WINDOWS = "board_limit_windows"  # flask.g key: the windows this request counted, by (key, expiry)


def remember_window(key: str, expiry: int, window: tuple[float, int]) -> None:
    """Keep the window a count saw for this request: Flask-Limiter asks it again for its headers, which would cost
    another connection and SELECT (and the count is what the request was limited by: no less exact)."""
    if has_request_context():
        g.setdefault(WINDOWS, {})[key, expiry] = window


def remembered_window(key: str, expiry: int) -> tuple[float, int] | None:
    return g.get(WINDOWS, {}).get((key, expiry)) if has_request_context() else None


def forget_windows() -> None:
    if has_request_context():
        g.pop(WINDOWS, None)


def window_of(counted: int, oldest: float | None, expiry: int, now: float) -> tuple[float, int]:
    """(When the oldest attempt in the window was counted, how many are in it), as the memory storage answers."""
    return (oldest - expiry, counted) if counted else (now, 0)


@contextmanager
def sqlite_connection(engine: Engine):
    """A connection of the engine's pool as sqlite3's own: its statements run outside any transaction."""
    connection = engine.raw_connection()
    try:
        yield connection.driver_connection
    finally:
        connection.close()


def count_alone(engine: Engine, key: str, limit: int, expiry: int, now: float) -> tuple[bool, tuple[float, int]]:
    """SQLite: one attempt counted if there is room, in one statement on its own; then the window, read."""
    values = {"key": key, "now": now, "expires_at": now + expiry, "limit": limit}
    with sqlite_connection(engine) as sqlite:
        acquired = sqlite.execute(count_if_room_sql(), values).rowcount == 1
        counted, oldest = sqlite.execute(window_sql(), values).fetchone()
    return acquired, window_of(counted, oldest, expiry, now)


def count_in_transaction(engine: Engine, key: str, limit: int, expiry: int, amount: int,
                         now: float) -> tuple[bool, tuple[float, int]]:
    """Count, then add if there is room, in one transaction: on PostgreSQL under an advisory lock on the key."""
    with engine.begin() as connection:  # SQLite: BEGIN IMMEDIATE (a POST), so no other process counts meanwhile
        if connection.dialect.name == "postgresql":
            # A count lost in a crash is harmless; waiting for the disk on every login attempt is not.
            connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        one_at_a_time(connection, key)
        counted, oldest = connection.execute(window_statement(), {"key": key, "now": now}).one()
        acquired = counted + amount <= limit
        if acquired:
            attempt = {"key": key, "expires_at": now + expiry}
            connection.execute(count_statement(), attempt if amount == 1 else [attempt] * amount)
            counted, oldest = counted + amount, oldest if counted else now + expiry
    return acquired, window_of(counted, oldest, expiry, now)


class BoardDatabaseStorage(Storage, MovingWindowSupport):
    """The limits library's storage interface over the rate_limit_hits table of the current app's database."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **_options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self._swept_at = weakref.WeakKeyDictionary()  # engine: when this process last swept its counts (monotonic)

    @property
    def base_exceptions(self):
        # Flask-Limiter then counts in memory for a while, as when Redis is unreachable (sqlite3's own: count_alone)
        return SQLAlchemyError, sqlite3.Error

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now, engine = time.time(), counts_engine()
        self.sweep_when_due(engine, now)
        if engine.dialect.name == "sqlite" and amount == 1:
            acquired, window = count_alone(engine, key, limit, expiry, now)
        else:
            acquired, window = count_in_transaction(engine, key, limit, expiry, amount, now)
        remember_window(key, expiry, window)
        return acquired

    def sweep_when_due(self, engine: Engine, now: float) -> None:
        """Delete the attempts gone from every window, at most every SWEEP_SECONDS in this process."""
        if time.monotonic() - self._swept_at.get(engine, float("-inf")) < SWEEP_SECONDS:
            return
        self._swept_at[engine] = time.monotonic()
        if engine.dialect.name == "sqlite":
            with sqlite_connection(engine) as sqlite:
                sqlite.execute(sweep_sql(), {"now": now})
            return
        with engine.begin() as connection:
            connection.execute(sweep_statement(), {"now": now})

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(When the oldest attempt in the window was counted, how many are in it), as the memory storage answers.

        Right after this request counted the key (the X-RateLimit headers, Retry-After), the window it saw then."""
        known = remembered_window(key, expiry)
        if known is not None:
            return known
        now = time.time()
        with counts_engine().connect().execution_options(**{READS_ONLY: True}) as connection:
            counted, oldest = connection.execute(window_statement(), {"key": key, "now": now}).one()
        return window_of(counted, oldest, expiry, now)

    def clear(self, key: str) -> None:
        forget_windows()
        with counts_engine().begin() as connection:
            connection.execute(delete(hits).where(hits.c.key == key))

    def reset(self) -> int | None:
        forget_windows()
        with counts_engine().begin() as connection:
            return connection.execute(delete(hits)).rowcount

    def check(self) -> bool:
        try:
            with counts_engine().connect().execution_options(**{READS_ONLY: True}) as connection:
                connection.scalar(select(1))
        except SQLAlchemyError:
            return False
        return True

    # The fixed window's operations: the board limits in a moving window (board/extensions.py), never with these.

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("the board's database storage counts in a moving window only")

    def get(self, key: str) -> int:
        raise NotImplementedError("the board's database storage counts in a moving window only")

    def get_expiry(self, key: str) -> float:
        raise NotImplementedError("the board's database storage counts in a moving window only")
