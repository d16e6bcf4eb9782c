"""The database underneath: SQLite tuned for concurrent writers, and the same code on PostgreSQL."""
import fcntl
import os
import platform
import stat
import sys
import tempfile
import threading

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from board.database import writer_lock_path
from board.write_queue import WriterQueue
from board.extensions import db
from board.models import Post, Thread

from .conftest import TEST_DATABASE_URL, dispose, make_test_app
from .factories import make_reply, make_thread, make_user

# The PostgreSQL pass's own database when the suite runs on one (.ci/run runs both passes side by side).
SUITE_ON_POSTGRES = (TEST_DATABASE_URL or "").startswith("postgresql")
POSTGRES_URL = os.environ.get("BOARD_TEST_POSTGRES_URL") or (
    TEST_DATABASE_URL if SUITE_ON_POSTGRES else "postgresql://postgres@127.0.0.1:5432/test"
).replace("postgresql://", "postgresql+psycopg://")
sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="checks SQLite tuning; the suite runs on another database")
postgres_only = pytest.mark.skipif(not SUITE_ON_POSTGRES, reason="checks PostgreSQL tuning; the suite runs on SQLite")


@sqlite_only
def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(app):
    with app.app_context():
        pragma = lambda name: db.session.execute(text(f"PRAGMA {name}")).scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") >= 5000


@sqlite_only
def test_sqlite_enforces_foreign_keys(app):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(text("INSERT INTO votes (user_id, post_id, value, created_at) VALUES (99, 99, 1, '2026-01-01')"))
        db.session.rollback()


def test_concurrent_writers_never_see_database_is_locked(app):
    """Eight members replying and voting at once: every request succeeds and every reply is stored."""
    thread = make_thread(app, make_user(app, "host"), "Release night")
    members = [make_user(app) for _ in range(8)]
    replies_each = 6
    errors, statuses = [], []

    def member_session(member):
        client = app.test_client()
        client.log_in(member)
        token = client.csrf_token()
        for number in range(replies_each):
            response = client.post(f"/posts/{thread.opening_post.id}/reply",
                                   data={"body": f"{member.username} says {number}", "csrf_token": token})
            statuses.append(response.status_code)
            vote = client.post(f"/posts/{thread.opening_post.id}/vote", data={"direction": "up", "csrf_token": token})
            statuses.append(vote.status_code)

    def guarded(member):
        try:
            member_session(member)
        except Exception as error:  # any exception here is a failure of the test, reported below
            errors.append(repr(error))

    workers = [threading.Thread(target=guarded, args=(member,)) for member in members]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert statuses == [303] * (2 * replies_each * len(members))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id)).where(Post.parent_id.is_not(None))) == replies_each * len(members)
        assert db.session.get(Thread, thread.id).reply_count == replies_each * len(members)
        # each member voted up an even number of times: pressing the same arrow again takes the vote back
        assert db.session.get(Post, thread.opening_post.id).score == 0


@pytest.fixture
def postgres_url():
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
    except OperationalError as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {POSTGRES_URL}: {error}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    return POSTGRES_URL


@pytest.mark.postgres
def test_the_board_runs_on_postgresql_through_its_migrations(postgres_url):
    app = make_test_app(postgres_url.replace("postgresql+psycopg://", "postgresql://"))
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
    try:
        assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
        author, reader = make_user(app, "Author"), make_user(app, "reader")
        thread = make_thread(app, author, "Playtime on 70mm", film=("Playtime", 1967))
        reply = make_reply(app, thread.opening_post, reader, "Tativille!")
        client = app.test_client()
        client.log_in(reader)
        assert client.submit(f"/posts/{thread.opening_post.id}/vote", {"direction": "up"}).status_code == 303
        assert client.submit(f"/posts/{reply.id}/reply", {"body": "Nested on PostgreSQL"}, htmx=True).status_code == 200
        for sort in ("hot", "new", "top"):
            page = client.get(f"/?sort={sort}").get_data(as_text=True)
            assert "Playtime on 70mm" in page and "1 point" in page
        page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
        assert "Nested on PostgreSQL" in page
        duplicate = client.submit("/register", {"username": "AUTHOR", "password": "long enough pw", "confirm": "long enough pw"})
        assert duplicate.status_code == 422 and "That username is taken." in duplicate.get_data(as_text=True)
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
            db.engine.dispose()


def other_writer_gets_the_lock(database_path: str) -> bool:
    """Whether a second connection can take SQLite's write lock right now, without waiting."""
    import sqlite3

    connection = sqlite3.connect(database_path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        connection.close()


def pooled_connections(app) -> list:
    """The psycopg connections the app's pool opens from now on."""
    opened = []
    with app.app_context():
        db.engine.dispose()
        event.listen(db.engine, "connect", lambda dbapi_connection, _record: opened.append(dbapi_connection))
    return opened


def wire_messages(connection, request) -> str:
    """libpq's trace of what went over `connection` while `request()` ran."""
    with tempfile.TemporaryFile() as trace:
        connection.pgconn.trace(trace.fileno())
        try:
            request()
        finally:
            connection.pgconn.untrace()  # flushes the trace
        trace.seek(0)
        return trace.read().decode()


@postgres_only
def test_a_request_on_a_pooled_connection_pings_it_with_its_own_begin(app_factory):
    """pool_pre_ping's round trip opens the request's transaction (database.tune_postgresql): no SELECT 1 or empty
    query before it, and no second BEGIN."""
    app = app_factory(PAGE_CACHE_SECONDS=0)
    opened = pooled_connections(app)
    client = app.test_client()
    assert client.get("/").status_code == 200  # a fresh connection: not pinged
    assert len(opened) == 1
    sent = [line.split("\t")[3:5] for line in wire_messages(opened[0], lambda: client.get("/")).splitlines()
            if "\tF\t" in line]
    assert sent[0] == ["Query", ' "BEGIN"'] and sent.count(["Query", ' "BEGIN"']) == 1
    assert sent[-1] == ["Query", ' "ROLLBACK"']  # the request's one transaction, ended as the pool takes it back


@postgres_only
def test_the_statements_requests_repeat_are_prepared_once_not_parsed_and_planned_each_time(app_factory):
    """Each request's transaction ends in a rollback that keeps psycopg's prepared statements (database.rolled_back):
    a page asked for more than psycopg's prepare_threshold (5) times binds its statements, it never parses them."""
    app = app_factory(PAGE_CACHE_SECONDS=0)
    opened = pooled_connections(app)
    client = app.test_client()
    for _ in range(7):
        assert client.get("/").status_code == 200
    sent = [line.split("\t")[3:5] for line in wire_messages(opened[0], lambda: client.get("/")).splitlines()
            if "\tF\t" in line]
    kinds = [message[0] for message in sent]
    assert "Bind" in kinds and "Parse" not in kinds  # the front page's statements, each bound to its prepared one
    assert sent[-1] == ["Query", ' "ROLLBACK"']


@postgres_only
def test_a_pooled_connection_the_server_ended_is_replaced_before_a_request_uses_it(app_factory):
    app = app_factory(PAGE_CACHE_SECONDS=0)
    opened = pooled_connections(app)
    client = app.test_client()
    assert client.get("/").status_code == 200
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])  # as a restart would, the server ends the pooled one
    with other.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": opened[0].info.backend_pid})
    other.dispose()
    assert client.get("/").status_code == 200
    assert opened[0].closed and len(opened) == 2  # replaced by a new connection before the request used it


@sqlite_only
def test_a_post_holds_the_write_lock_only_for_its_writes(app, database_url):
    """Reads before the writes (reading()) and rendering after the commit leave other writers free."""
    from board.database import reading

    path = database_url.removeprefix("sqlite:///")
    make_user(app, "reader")
    with app.test_request_context("/posts/1/vote", method="POST"):
        with reading():
            db.session.execute(text("SELECT count(*) FROM users")).scalar()
            assert other_writer_gets_the_lock(path)
        db.session.execute(text("SELECT count(*) FROM users")).scalar()  # the writes begin: BEGIN IMMEDIATE
        assert not other_writer_gets_the_lock(path)
        db.session.execute(text("UPDATE users SET bio_source = 'x'"))
        db.session.commit()
        assert other_writer_gets_the_lock(path)
        db.session.execute(text("SELECT count(*) FROM users")).scalar()  # rendering after the commit
        assert other_writer_gets_the_lock(path)
        db.session.rollback()
    with app.test_request_context("/", method="GET"):
        db.session.execute(text("SELECT count(*) FROM users")).scalar()
        assert other_writer_gets_the_lock(path)
        db.session.rollback()


def test_what_is_read_before_the_writes_stays_readable_and_a_refusal_inside_is_clean(app):
    from werkzeug.exceptions import Forbidden

    from board.database import reading

    member = make_user(app, "ravel")
    with app.test_request_context("/posts/1/vote", method="POST"):
        with reading():
            loaded = db.session.get(type(member), member.id)
        assert loaded.username == "ravel"  # not expired by the commit that ended the reads
        with pytest.raises(Forbidden):
            with reading():
                db.session.get(type(member), member.id)
                raise Forbidden()
        db.session.rollback()


def writer_queue_is_free(database_path: str) -> bool:
    """Whether another process could take the writer queue's turn right now (flock on a new open file is one)."""
    lock_path = writer_lock_path(database_path)
    if not os.path.exists(lock_path):
        return False  # no queue at all: SQLite's busy handler is all the waiting writers have
    descriptor = os.open(lock_path, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)


@sqlite_only
def test_a_writer_that_leaves_any_way_lets_the_next_one_in_at_once(app, client, database_url):
    """Commit, rollback, an exception, a dropped connection, a refused request: the write lock and the queue are free."""
    path = database_url.removeprefix("sqlite:///")
    make_user(app, "queue")

    def free() -> bool:
        return other_writer_gets_the_lock(path) and writer_queue_is_free(path)

    with app.test_request_context("/", method="POST"):
        db.session.execute(text("UPDATE users SET bio_source = 'a'"))
        assert not free()
        db.session.commit()
        assert free()
        db.session.execute(text("UPDATE users SET bio_source = 'b'"))
        db.session.rollback()
        assert free()
        db.session.execute(text("UPDATE users SET bio_source = 'c'"))
        db.session.connection().invalidate()  # a broken connection is closed, not returned
        db.session.rollback()
        assert free()
    with pytest.raises(RuntimeError):
        with app.test_request_context("/", method="POST"):
            db.session.execute(text("UPDATE users SET bio_source = 'd'"))
            raise RuntimeError("a view failing mid-write")  # the request's teardown returns the connection
    assert free()
    assert client.submit("/posts/999999/vote", {"direction": "up"}).status_code in (303, 404)  # refused
    assert free()
    with app.app_context():
        db.session.execute(text("UPDATE users SET bio_source = 'e'"))  # the CLI's writes queue too
        assert not free()
        db.session.remove()
    assert free()


# The system call a thread is blocked in, per architecture: flock() is the writer queue, the sleeps are SQLite's
# busy handler (usleep).
SYSCALLS = {"x86_64": {73: "flock", 35: "nanosleep", 230: "clock_nanosleep"},
            "aarch64": {32: "flock", 101: "nanosleep", 115: "clock_nanosleep"}}

HOLD_THE_LOCK = """
import fcntl, os, sqlite3, sys
queue = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(queue, fcntl.LOCK_EX)
database = sqlite3.connect(sys.argv[1], isolation_level=None)
database.execute("BEGIN IMMEDIATE")
database.execute("UPDATE users SET bio_source = 'the other process'")
print("holding", flush=True)
sys.stdin.readline()
database.execute("COMMIT")
"""


def blocked_in(native_id: int) -> str | None:
    """The waiting call (flock or a sleep) a thread of this process is blocked in right now, if any."""
    calls = SYSCALLS.get(platform.machine())
    assert calls, f"no system call numbers for {platform.machine()}"
    with open(f"/proc/self/task/{native_id}/syscall") as status:
        number = status.read().split()[0]
    return calls.get(int(number)) if number.isdigit() else None


def voter_and_thread(app, title: str):
    """A logged-in voter's client, and another member's thread to vote on."""
    author, voter = make_user(app, "author"), make_user(app, "voter")
    thread = make_thread(app, author, title)
    client = app.test_client()
    client.log_in(voter)
    return client, thread


@sqlite_only
def test_a_waiting_writer_waits_in_the_queue_not_asleep_in_sqlites_busy_handler(app, database_url):
    """Another process is writing: a vote waits blocked on the queue (woken at release), then is stored once."""
    import subprocess
    import sys

    path = database_url.removeprefix("sqlite:///")
    client, thread = voter_and_thread(app, "Sans Soleil")
    token = client.csrf_token()
    with subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, path, writer_lock_path(path)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as other:
        try:
            assert other.stdout.readline() == "holding\n"
            outcome, waiter = {}, []

            def vote():
                waiter.append(threading.get_native_id())
                outcome["status"] = client.post(f"/posts/{thread.opening_post.id}/vote",
                                                data={"direction": "up", "csrf_token": token}).status_code

            worker = threading.Thread(target=vote)
            worker.start()
            while not waiter:
                pass
            waiting_in = None
            for _ in range(2000):  # until the vote waits (it reads first, without any lock); bounded, no clock
                waiting_in = blocked_in(waiter[0])
                if waiting_in or not worker.is_alive():
                    break
                threading.Event().wait(0.005)
            assert waiting_in == "flock", f"the waiting writer is in {waiting_in}, not queued"
            other.stdin.write("\n")
            other.stdin.flush()
            worker.join(30)
            assert outcome == {"status": 303}
            assert other.wait(30) == 0
        finally:
            if other.poll() is None:
                other.kill()
    with app.app_context():
        assert db.session.get(Post, thread.opening_post.id).score == 1
        assert db.session.scalar(text("SELECT bio_source FROM users WHERE username = 'author'")) == "the other process"


@sqlite_only
def test_the_queue_lock_file_is_the_owners_beside_the_database_and_no_visitor_needs_it(app, database_url):
    path = database_url.removeprefix("sqlite:///")
    lock_path = writer_lock_path(path)
    assert lock_path == path + "-writers"
    author, voter = make_user(app, "author"), make_user(app, "voter")
    thread = make_thread(app, author, "Cleo from 5 to 7")
    os.remove(lock_path)  # made when the tables were; a board process starting now finds none
    board = make_test_app(database_url)
    client = board.test_client()
    assert client.get("/").status_code == 200
    assert client.get(f"/threads/{thread.id}").status_code == 200
    assert not os.path.exists(lock_path)  # reading takes no turn
    client.log_in(voter)
    assert client.submit(f"/posts/{thread.opening_post.id}/vote", {"direction": "up"}).status_code == 303
    assert stat.S_IMODE(os.stat(lock_path).st_mode) == 0o600
    dispose(board)


@sqlite_only
def test_a_board_whose_lock_file_cannot_be_opened_still_reads_and_writes(app_factory, database_url, caplog):
    """A lock file that can't be opened (here a directory in its place): SQLite's busy timeout alone, as before."""
    path = database_url.removeprefix("sqlite:///")
    os.mkdir(writer_lock_path(path))
    app = app_factory()
    author, voter = make_user(app, "author"), make_user(app, "voter")
    thread = make_thread(app, author, "Jeanne Dielman")
    client = app.test_client()
    assert client.get(f"/threads/{thread.id}").status_code == 200
    client.log_in(voter)
    assert client.submit(f"/posts/{thread.opening_post.id}/vote", {"direction": "up"}).status_code == 303
    assert "no writer queue across processes" in caplog.text
    with app.app_context():
        assert db.session.get(Post, thread.opening_post.id).score == 1


@sqlite_only
def test_no_garbage_is_collected_while_a_writer_holds_the_lock(app, database_url):
    """A collection inside a write would hold up every writer waiting for the lock: it waits until the turn ends."""
    import gc

    path = database_url.removeprefix("sqlite:///")
    client, thread = voter_and_thread(app, "Close-Up")
    collections = []

    def note(phase, _info):
        if phase == "start":
            collections.append(writer_queue_is_free(path))

    threshold = gc.get_threshold()
    gc.callbacks.append(note)
    gc.set_threshold(1)  # a collection at almost every allocation: any allowed inside the write would show
    try:
        assert client.submit(f"/posts/{thread.opening_post.id}/vote", {"direction": "up"}).status_code == 303
    finally:
        gc.set_threshold(*threshold)
        gc.callbacks.remove(note)
    assert True in collections  # the request collected garbage, outside the writes
    assert False not in collections  # never while a writer had the turn
    assert gc.isenabled()


def test_a_workers_threads_taking_their_first_turns_at_once_all_get_one(tmp_path):
    """A fresh worker's threads all write from its first requests: the queue is set up once, and none of them finds it
    half set up (it failed with AttributeError under `make bench`)."""
    turns, failures = [], []

    def writer(queue, start):
        start.wait(5)
        try:
            turns.append(queue.take_turn())
            queue.end_turn()
        except Exception as error:  # noqa: BLE001 — reported below
            failures.append(repr(error))

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL on as often as possible: a half set-up queue would show
    try:
        for attempt in range(20):  # each a fresh worker's queue
            queue, start = WriterQueue(str(tmp_path / f"board{attempt}.db-writers"), timeout=5), threading.Barrier(8)
            threads = [threading.Thread(target=writer, args=(queue, start)) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(10)
    finally:
        sys.setswitchinterval(switch)
    assert failures == [] and turns == [True] * 160


def test_garbage_is_collected_again_only_when_the_last_of_a_processs_overlapping_turns_ends(tmp_path):
    """A vote's turn on the board's database and another thread's turn on the limits' file overlap: the first to end
    must not let a collection hold up the other, still under way."""
    import gc

    board_queue = WriterQueue(str(tmp_path / "board.db-writers"), timeout=5)
    limits_queue = WriterQueue(str(tmp_path / "board.db-limits-writers"), timeout=5)
    board_taken, limits_ended, seen = threading.Event(), threading.Event(), {}

    def voter():
        board_queue.take_turn()
        board_taken.set()
        limits_ended.wait(5)
        seen["during the board's turn"] = gc.isenabled()
        board_queue.end_turn()

    assert gc.isenabled()
    limits_queue.take_turn()  # first taken, first given back
    thread = threading.Thread(target=voter)
    thread.start()
    board_taken.wait(5)
    limits_queue.end_turn()
    limits_ended.set()
    thread.join(5)
    assert seen == {"during the board's turn": False}
    assert gc.isenabled()


@sqlite_only
def test_the_wal_is_checkpointed_by_a_thread_of_its_own_never_by_a_writer(app, database_url):
    """SQLite would checkpoint inside a COMMIT, waiting for the disk with the writer's turn still held (and every
    queued writer with it); a writer checkpointing after its turn still kept its own request waiting. The board's
    connections never checkpoint: every CHECKPOINT_WRITES-th write of a process wakes its checkpointer thread."""
    import struct
    import time

    from sqlalchemy import event, update

    from board.models import User
    from board.write_queue import CHECKPOINT_WRITES

    path = database_url.removeprefix("sqlite:///")
    member = make_user(app, "checkpointer")
    by_the_boards_connections = []

    def note(statement):
        if "wal_checkpoint" in statement:
            by_the_boards_connections.append(statement)

    def checkpoint_seen() -> tuple[int, int]:
        """(WAL frames copied into the database since the WAL last started over, times it started over): the first
        is nBackfill in the WAL index; the second, the WAL header's checkpoint sequence, moves once a checkpoint has
        copied every frame and a writer starts the WAL over."""
        with open(f"{path}-shm", "rb") as index, open(f"{path}-wal", "rb") as wal:
            header = wal.read(16)  # empty until the first write since the database was opened
            return struct.unpack("=I", index.read(100)[96:100])[0], header and struct.unpack(">I", header[12:16])[0]

    with app.app_context():
        db.engine.dispose()
        event.listen(db.engine, "connect", lambda connection, _record: connection.set_trace_callback(note))
        assert db.session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
        db.session.commit()
        db.session.execute(update(User).where(User.id == member.id).values(bio_source="Write"))
        db.session.commit()
        _, sequence_before = checkpoint_seen()
        for number in range(CHECKPOINT_WRITES + 1):
            db.session.execute(update(User).where(User.id == member.id).values(bio_source=f"Write {number}"))
            db.session.commit()
        deadline = time.monotonic() + 10
        while checkpoint_seen() == (0, sequence_before) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert checkpoint_seen() != (0, sequence_before)
    assert by_the_boards_connections == []
