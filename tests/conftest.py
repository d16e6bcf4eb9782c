"""Fixtures: a fresh board (app + database) per test, clients that speak forms and htmx, query counting."""
import os
import re
import tempfile
import uuid

import pytest
import redis
from flask.testing import FlaskClient
from sqlalchemy import event, text

from board import create_app, page_cache
from board.extensions import db

from .factories import DEFAULT_PASSWORD

# Set BOARD_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the suite on PostgreSQL.
TEST_DATABASE_URL = os.environ.get("BOARD_TEST_DATABASE_URL")
REDIS_TEST_URL = os.environ.get("BOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")  # a database of its own
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')  # the login form's own token


class BoardClient(FlaskClient):
    """A test client that submits forms the way the board's pages do: with the page's CSRF token."""

    def csrf_token(self) -> str:
        page = self.get("/login").get_data(as_text=True)
        return CSRF_PATTERN.search(page).group(1)

    def submit(self, url: str, data: dict | None = None, htmx: bool = False, headers: dict | None = None, **kwargs):
        """POST a form as a browser would, or as htmx would (token in the X-CSRFToken header)."""
        data = dict(data or {})
        headers = dict(headers or {})
        token = self.csrf_token()
        if htmx:
            headers = {"HX-Request": "true", "X-CSRFToken": token, "HX-Current-URL": "http://localhost/", **headers}
        else:
            data.setdefault("csrf_token", token)
        return self.post(url, data=data, headers=headers, **kwargs)

    def htmx_get(self, url: str, **kwargs):
        return self.get(url, headers={"HX-Request": "true"}, **kwargs)

    def log_in(self, user, password: str = DEFAULT_PASSWORD, remember: bool = False):
        response = self.submit("/login", {"username": user.username, "password": password, "remember": "y" if remember else ""})
        assert response.status_code == 303, response.get_data(as_text=True)
        return response


# A cheap hash keeps a suite that registers hundreds of members fast; test_auth checks the real default.
FAST_PASSWORD_HASH = "pbkdf2:sha256:1000"


# Each test board keeps its shared pages to itself: its own cache directory, its own key prefix in Redis.
CACHE_ROOT = tempfile.TemporaryDirectory(prefix="reelboard-test-cache-")


def make_test_app(database_url: str, **overrides):
    board_id = uuid.uuid4().hex
    config = {"SECRET_KEY": "test secret", "TESTING": True, "DATABASE_URL": database_url,
              "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH,
              "PAGE_CACHE_DIR": os.path.join(CACHE_ROOT.name, board_id), "CACHE_KEY_PREFIX": f"reelboard-test:{board_id}:",
              "MAIL_OUTBOX_DIR": os.path.join(CACHE_ROOT.name, board_id, "outbox")}
    app = create_app(config | overrides)
    app.test_client_class = BoardClient
    return app


@pytest.fixture
def database_url(tmp_path):
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'board.db'}"


def reset_database(app, create_tables: bool = True) -> None:
    """Empty the test database (tables and Alembic's version row), then create the model tables if asked."""
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        if create_tables:
            db.create_all()


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(database_url):
    app = make_test_app(database_url)
    reset_database(app)
    yield app
    dispose(app)


@pytest.fixture
def app_factory(database_url):
    """More boards on the test database, with other settings or with no tables at all (a fresh clone)."""
    made = []

    def build(create_tables: bool = True, **overrides):
        app = make_test_app(database_url, **overrides)
        reset_database(app, create_tables)
        made.append(app)
        return app

    yield build
    for app in made:
        reset_database(app, create_tables=False)
        dispose(app)


@pytest.fixture
def mailbox(app):
    """A real SMTP server the board's mail goes to (tests/mailbox.py); `deliver_all(app)` runs the mail worker."""
    from .mailbox import point_at, start_mailbox

    mailbox, controller = start_mailbox()
    point_at(app, mailbox)
    yield mailbox
    controller.stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def other_client(app):
    """A second browser, for a second member acting at the same time."""
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def count_queries(app):
    """Counts SQL statements sent while the returned counter's block runs: `with count_queries() as n: ...`."""

    class Counter:
        def __init__(self):
            self.statements = []

        def __enter__(self):
            self.statements = []
            event.listen(engine, "before_cursor_execute", self._record)
            return self

        def __exit__(self, *exc):
            event.remove(engine, "before_cursor_execute", self._record)

        def _record(self, _conn, _cursor, statement, *_args):
            if statement not in ("BEGIN", "BEGIN IMMEDIATE"):  # SQLite transaction control, implicit on PostgreSQL
                self.statements.append(statement)

        @property
        def count(self) -> int:
            return len(self.statements)

    with app.app_context():
        engine = db.engine
    return Counter


def statements_for(client, count_queries, url) -> int:
    """Statements to render the page (a visitor's copy from the page cache costs none: test_page_cache)."""
    with client.application.app_context():
        page_cache.invalidate()
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture
def redis_url():
    """The test database of the Redis server, emptied before and after; a skip without Redis (a failure in CI)."""
    server = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        server.ping()
    except redis.RedisError as error:
        server.close()
        if running_in_ci():
            pytest.fail(f"Redis is required in CI but not reachable at {REDIS_TEST_URL}: {error}", pytrace=False)
        pytest.skip(f"Redis not reachable at {REDIS_TEST_URL}: {error}")
    server.flushdb()
    yield REDIS_TEST_URL
    server.flushdb()
    server.close()
