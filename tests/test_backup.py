"""flask backup / restore: an online SQLite backup taken while the board writes, a restore, and what is refused."""
import sqlite3
import threading
from contextlib import closing

import pytest

from board.extensions import db
from board.models import Post, Thread

from .conftest import TEST_DATABASE_URL, dispose, make_test_app
from .factories import fetch, make_reply, make_thread, make_user

sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="backup and restore are for SQLite boards")
FAST_REPLIES = {"replies": "100000 per minute", "replies_new_account": "100000 per minute"}


@pytest.fixture
def board(app_factory):
    """A board migrated the way `make run` does it (alembic_version included), with a thread to reply in."""
    app = app_factory(create_tables=False, RATE_LIMITS=FAST_REPLIES)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    author = make_user(app, "author")
    thread = make_thread(app, author, title="Cléo from 5 to 7: the mirrors")
    return app, author, thread


def replies_in(path, thread_id: int) -> tuple[int, int]:
    """(replies stored, the thread's reply_count) as a backup file has them."""
    with closing(sqlite3.connect(path)) as copy:
        stored = copy.execute("SELECT count(*) FROM posts WHERE thread_id = ? AND parent_id IS NOT NULL",
                              (thread_id,)).fetchone()[0]
        counted = copy.execute("SELECT reply_count FROM threads WHERE id = ?", (thread_id,)).fetchone()[0]
    return stored, counted


@sqlite_only
def test_backup_while_replies_keep_arriving_is_consistent(board, tmp_path):
    app, author, thread = board
    writer = make_user(app, "writer")
    client = app.test_client()
    client.log_in(writer)
    acknowledged, stop, failures = [], threading.Event(), []

    def keep_replying():
        number = 0
        while not stop.is_set() and number < 2_000:  # bounded: stops by itself
            number += 1
            response = client.submit(f"/posts/{thread.opening_post.id}/reply", {"body": f"Reply {number} while backing up."})
            if response.status_code != 303:
                failures.append(response.status_code)
                return
            acknowledged.append(number)

    replying = threading.Thread(target=keep_replying)
    replying.start()
    try:
        while len(acknowledged) < 20 and replying.is_alive():
            threading.Event().wait(0.01)
        before = len(acknowledged)
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "board-backup.db")])
        after_backup = len(acknowledged)
        while len(acknowledged) < after_backup + 20 and replying.is_alive():  # the board keeps taking replies
            threading.Event().wait(0.01)
    finally:
        stop.set()
        replying.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    assert not failures
    assert len(acknowledged) >= after_backup + 20

    path = tmp_path / "board-backup.db"
    with closing(sqlite3.connect(path)) as copy:
        assert copy.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    stored, counted = replies_in(path, thread.id)
    assert stored >= before  # everything committed before the backup began is in it
    assert stored == counted  # one snapshot: no reply without its thread's count, nor the other way round
    assert not list(tmp_path.glob(".board-backup.db.partial-*"))


@sqlite_only
def test_restore_brings_the_board_back_to_the_backup(board, tmp_path):
    app, author, thread = board
    reply = make_reply(app, thread.opening_post, author, "Before the backup.")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "saved.db")]).exit_code == 0

    later = make_reply(app, thread.opening_post, author, "After the backup: gone once restored.")
    with app.app_context():
        db.session.delete(db.session.get(Post, reply.id))  # a mistake the backup undoes
        db.session.execute(db.update(Thread).where(Thread.id == thread.id).values(title="Renamed"))
        db.session.commit()

    result = runner.invoke(args=["restore", str(tmp_path / "saved.db"), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output and "kept at" in result.output

    assert fetch(app, Post, reply.id) is not None
    assert fetch(app, Post, later.id) is None
    assert fetch(app, Thread, thread.id).title == "Cléo from 5 to 7: the mirrors"
    page = app.test_client().get(f"/threads/{thread.id}")
    assert page.status_code == 200 and "Before the backup." in page.get_data(as_text=True)
    kept = next(tmp_path.glob("board.db.before-restore-*"))
    stored, _ = replies_in(kept, thread.id)
    assert stored == 1  # the database as it was before the restore: only the later reply
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@sqlite_only
def test_restore_asks_first_and_leaves_the_board_alone_on_no(board, tmp_path):
    app, author, thread = board
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "saved.db")]).exit_code == 0
    reply = make_reply(app, thread.opening_post, author, "Still here.")
    result = runner.invoke(args=["restore", str(tmp_path / "saved.db")], input="n\n")
    assert result.exit_code != 0
    assert "Aborted" in result.output
    assert fetch(app, Post, reply.id) is not None


@sqlite_only
@pytest.mark.parametrize(
    "contents, message",
    [
        (b"just some text, not a database\n" * 10, "is not an SQLite database"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "damaged"),
        (None, "is not a Reelboard database"),
    ],
    ids=["text file", "damaged file", "someone else's SQLite database"],
)
def test_restore_refuses_files_that_are_not_board_backups(board, tmp_path, contents, message):
    app, author, thread = board
    bad = tmp_path / "bad.db"
    if contents is None:
        with closing(sqlite3.connect(bad)) as other:
            other.execute("CREATE TABLE notes (body TEXT)")
            other.commit()
    else:
        bad.write_bytes(contents)
    result = app.test_cli_runner().invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code != 0
    assert message in result.output
    assert fetch(app, Thread, thread.id) is not None
    assert not list(tmp_path.glob("board.db.before-restore-*"))


@sqlite_only
def test_restore_refuses_a_backup_from_an_unknown_schema_revision(board, tmp_path):
    app, _, _ = board
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "saved.db")]).exit_code == 0
    with closing(sqlite3.connect(tmp_path / "saved.db")) as saved:
        saved.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        saved.commit()
    result = runner.invoke(args=["restore", str(tmp_path / "saved.db"), "--yes"])
    assert result.exit_code != 0
    assert "9999_from_the_future" in result.output


@sqlite_only
def test_backup_does_not_replace_a_file_unless_forced(board, tmp_path):
    app, _, _ = board
    runner = app.test_cli_runner()
    target = tmp_path / "saved.db"
    target.write_text("yesterday's backup")
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code != 0 and "--force" in result.output
    assert target.read_text() == "yesterday's backup"
    assert runner.invoke(args=["backup", str(target), "--force"]).exit_code == 0
    assert target.read_bytes().startswith(b"SQLite format 3\x00")


def test_backup_and_restore_refuse_postgresql_and_point_to_its_tools(tmp_path):
    # Refused before any connection is made, so no server is needed.
    app = make_test_app("postgresql://postgres@127.0.0.1:5432/no_such_database")
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["backup", str(tmp_path / "board.dump")])
        assert result.exit_code != 0
        assert "pg_dump" in result.output
        (tmp_path / "board.dump").write_bytes(b"whatever")
        result = runner.invoke(args=["restore", str(tmp_path / "board.dump"), "--yes"])
        assert result.exit_code != 0
        assert "pg_restore" in result.output
    finally:
        dispose(app)
