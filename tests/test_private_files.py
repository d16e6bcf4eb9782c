"""Files that hold the board's secrets are its owner's alone: 0600 files, 0700 directories, whatever the umask."""
import os
import sqlite3
import stat
from contextlib import closing

import pytest

from .conftest import TEST_DATABASE_URL, dispose, make_test_app, reset_database
from .factories import make_thread, make_user

sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the database is a file on SQLite boards only")


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """The loosest umask there is: nothing the board creates may rely on the umask to keep others out."""
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


@pytest.fixture
def board(instance, database_url):
    """A board whose instance folder holds its database (on SQLite) and its page cache, as `make run` lays it out."""
    def build():
        url = database_url if TEST_DATABASE_URL else f"sqlite:///{instance / 'board.db'}"
        app = make_test_app(url, PAGE_CACHE_DIR=str(instance / "cache"), DEMO=False)
        app.instance_path = str(instance)
        reset_database(app, create_tables=False)  # `flask setup` migrates an empty database
        made.append(app)
        return app

    made = []
    yield build
    for app in made:
        reset_database(app, create_tables=False)
        dispose(app)


def set_up(app) -> None:
    result = app.test_cli_runner().invoke(args=["setup"])
    assert result.exit_code == 0, result.output


def keep_a_page(app) -> None:
    make_thread(app, make_user(app), title="Kept")
    assert app.test_client().get("/").status_code == 200


def test_setup_and_serving_create_nothing_others_can_read(board, instance, open_umask):
    app = board()
    set_up(app)
    keep_a_page(app)
    assert mode(instance) == 0o700
    assert mode(instance / "config.py") == 0o600
    assert mode(instance / "cache") == 0o700
    kept = [path for path in (instance / "cache").iterdir()]
    assert kept and {mode(path) for path in kept} == {0o600}


@sqlite_only
def test_the_database_its_wal_and_shm_backups_and_copies_are_private(board, instance, tmp_path, open_umask):
    app = board()
    set_up(app)
    keep_a_page(app)
    database = instance / "board.db"
    assert {mode(path) for path in (database, f"{database}-wal", f"{database}-shm")} == {0o600}
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "saved.db")]).exit_code == 0
    assert mode(tmp_path / "saved.db") == 0o600
    assert runner.invoke(args=["restore", str(tmp_path / "saved.db"), "--yes"]).exit_code == 0
    assert mode(next(instance.glob("board.db.before-restore-*"))) == 0o600
    assert mode(database) == 0o600


def test_setup_tightens_what_an_older_release_left_readable(board, instance, open_umask):
    instance.mkdir(mode=0o755)
    (instance / "config.py").write_text("SECRET_KEY = 'old'\n")
    (instance / "cache").mkdir(mode=0o755)
    (instance / "cache" / "old-page").write_bytes(b"")
    with closing(sqlite3.connect(instance / "old-worker.db" if TEST_DATABASE_URL else instance / "board.db")) as old:
        # An older release's worker, still running: its database 0644, with -wal and -shm beside it made like it.
        old.execute("PRAGMA journal_mode = WAL")
        old.execute("CREATE TABLE kept (x)")
        old.commit()
        for path in instance.rglob("*"):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        os.chmod(instance, 0o755)
        set_up(board())
        everything = {path.name: mode(path) for path in instance.rglob("*")}
    assert mode(instance) == 0o700
    assert everything["cache"] == 0o700
    assert {name: permissions for name, permissions in everything.items() if name != "cache"} == {
        name: 0o600 for name in everything if name != "cache"}
    assert {"config.py", "old-page"} <= set(everything)
    assert TEST_DATABASE_URL or {"board.db", "board.db-wal", "board.db-shm"} <= set(everything)
