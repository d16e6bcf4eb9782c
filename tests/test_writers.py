"""Writers at once: every vote and reply counted exactly on SQLite and PostgreSQL, and write transactions kept short.

The hammering tests run many connections against the same rows (the suite runs them on SQLite, and on PostgreSQL
under `make test-postgres`); the others read the statements of one write transaction: how long it keeps SQLite's
write lock, or on PostgreSQL a hot row's lock, is set by what runs inside it and in what order.
"""
import random
import re
import sqlite3
import threading

import pytest
from sqlalchemy import event, func, select

from board import limit_storage
from board.extensions import db
from board.limits import DEFAULT_LIMITS
from board.models import Notification, Post, RateLimitHit, Thread, Vote, reply_statements

from .conftest import TEST_DATABASE_URL
from .factories import make_reply, make_thread, make_user

NO_LIMITS = {name: "1000000 per hour" for name in DEFAULT_LIMITS}


@pytest.fixture
def board(app_factory):
    """A board without rate limits (the tests send more than a member may), a thread, and a reply in it."""
    app = app_factory(RATE_LIMITS=NO_LIMITS)
    host, replier = make_user(app, "host"), make_user(app, "replier")
    thread = make_thread(app, host, "Opening night")
    reply = make_reply(app, thread.opening_post, replier, "The first reply.")
    return {"app": app, "host": host, "replier": replier, "thread": thread, "posts": [thread.opening_post, reply]}


def at_once(app, jobs) -> list:
    """Run each job (member, [(path, form data), …]) on its own connection, all starting together: the statuses."""
    clients = []
    for member, requests in jobs:
        client = app.test_client()
        client.log_in(member)
        clients.append((client, client.csrf_token(), requests))
    start = threading.Barrier(len(clients))
    statuses, errors = [], []

    def send(client, token, requests):
        try:
            start.wait()
            for path, data in requests:
                statuses.append(client.post(path, data={**data, "csrf_token": token}).status_code)
        except Exception as error:  # reported below: any exception fails the test
            errors.append(repr(error))

    workers = [threading.Thread(target=send, args=each) for each in clients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    return statuses


def test_one_member_voting_from_many_connections_keeps_one_vote_per_post_and_exact_counters(board):
    """Several tabs of the same members cast, switch and take back votes on the same posts at once."""
    app, posts = board["app"], board["posts"]
    voters = [make_user(app) for _ in range(3)]
    chance = random.Random(7)
    jobs = [
        (voter, [(f"/posts/{chance.choice(posts).id}/vote", {"direction": chance.choice(["up", "down"])})
                 for _ in range(8)])
        for voter in voters for _connection in range(3)
    ]
    assert at_once(app, jobs) == [303] * (len(jobs) * 8)
    with app.app_context():
        for post in posts:
            values = db.session.scalars(select(Vote.value).where(Vote.post_id == post.id)).all()
            stored = db.session.get(Post, post.id)
            assert (stored.upvotes, stored.downvotes, stored.score) == (values.count(1), values.count(-1), sum(values))
        pairs = db.session.execute(select(Vote.user_id, Vote.post_id)).all()
        assert len(pairs) == len(set(pairs))  # the key forbids more, but a race would have answered with a 500


def test_replies_from_many_connections_are_all_stored_counted_and_notified_once_each(board):
    """Members write from several connections at once into one thread: the thread's counter and the inbox add up."""
    app, posts, thread = board["app"], board["posts"], board["thread"]
    mentioned = make_user(app, "watcher")
    writers = [make_user(app) for _ in range(4)]
    jobs = [
        (writer, [(f"/posts/{posts[number % 2].id}/reply",
                   {"body": f"{writer.username}, tab {tab}, reply {number}: look, @watcher."}) for number in range(5)])
        for writer in writers for tab in range(2)
    ]
    assert at_once(app, jobs) == [303] * (len(jobs) * 5)
    written = len(jobs) * 5
    with app.app_context():
        replies = select(func.count()).select_from(Post).where(Post.thread_id == thread.id, Post.parent_id.is_not(None))
        assert db.session.scalar(replies) == written + 1  # and the first reply
        assert db.session.get(Thread, thread.id).reply_count == written + 1
        inbox = lambda member: db.session.scalar(  # noqa: E731
            select(func.count()).select_from(Notification).where(Notification.recipient_id == member.id))
        assert inbox(mentioned) == written
        # One per reply to them; the host started the thread, so follows it (board/following.py): one per reply in it.
        assert (inbox(board["host"]), inbox(board["replier"])) == (written, len(jobs) * 2)


class Transactions:
    """The statements of each transaction, per connection, as the database received them (COMMIT ends one). A
    transaction ended by a rollback (a read the request let go, a connection returned to the pool) is left out, so
    its statements never count as the next transaction's on that connection."""

    def __init__(self, engine):
        self.engine, self.open, self.done, self.statements = engine, {}, [], []  # statements: all, as sent

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self.statement)
        event.listen(self.engine, "commit", self.commit)
        event.listen(self.engine, "rollback", self.rollback)
        event.listen(self.engine.pool, "reset", self.reset)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self.statement)
        event.remove(self.engine, "commit", self.commit)
        event.remove(self.engine, "rollback", self.rollback)
        event.remove(self.engine.pool, "reset", self.reset)

    def statement(self, connection, _cursor, statement, *_args):
        if not statement.startswith("BEGIN"):
            self.statements.append(" ".join(statement.split()))
            self.open.setdefault(id(connection.connection.dbapi_connection), []).append(" ".join(statement.split()))

    def commit(self, connection):
        self.done.append(self.open.pop(id(connection.connection.dbapi_connection), []))

    def rollback(self, connection):
        self.open.pop(id(connection.connection.dbapi_connection), None)

    def reset(self, dbapi_connection, *_args):
        self.open.pop(id(dbapi_connection), None)

    def writing(self, marker: str) -> list[str]:
        """The one committed transaction with a statement that starts with `marker`."""
        found = [statements for statements in self.done if any(each.startswith(marker) for each in statements)]
        assert len(found) == 1, found
        return found[0]


def is_lock(statement: str) -> bool:
    return "pg_advisory_xact_lock" in statement


def locks_a_member(statement: str) -> bool:
    """A member's row locked FOR UPDATE would also hold up every insert that refers to them (a notification…).
    `FOR UPDATE OF email_notices` (board/notices.py) joins the member but locks only their notices row."""
    locked = re.search(r"FOR UPDATE(?: OF (\w+))?", statement)
    return "FROM users" in statement and locked is not None and locked.group(1) in (None, "users")


def test_a_vote_writes_its_vote_then_the_post_counters_and_nothing_more(board):
    """Three statements hold the write lock (SQLite) or the post's row (PostgreSQL, from the UPDATE to COMMIT)."""
    app, post = board["app"], board["posts"][1]
    client = app.test_client()
    client.log_in(make_user(app, "voter"))
    with app.app_context():
        engine = db.engine
    for direction in ("up", "down", "down"):  # cast, switch, take back
        with Transactions(engine) as transactions:
            assert client.submit(f"/posts/{post.id}/vote", {"direction": direction}).status_code == 303
        writes = [each for each in transactions.writing("UPDATE posts SET score") if not is_lock(each)]
        assert len(writes) == 3, writes  # the vote read, the vote written, the counters
        assert writes[0].startswith("SELECT votes.")
        assert writes[-1].startswith("UPDATE posts SET score")
        assert not any(locks_a_member(each) for done in transactions.done for each in done)


def written_reply(app, post, body: str) -> Transactions:
    """A new member's plain-form reply to `post`, with the statements of its request."""
    client = app.test_client()
    client.log_in(make_user(app, "writer"))
    with app.app_context():
        engine = db.engine
    with Transactions(engine) as transactions:
        assert client.submit(f"/posts/{post.id}/reply", {"body": body}).status_code == 303
    return transactions


def test_a_reply_writes_its_thread_counters_last_after_its_notifications(board):
    app, post = board["app"], board["posts"][1]
    make_user(app, "watcher")
    transactions = written_reply(app, post, "Agreed, @watcher.")
    writes = [each for each in transactions.writing("INSERT INTO posts") if not is_lock(each)]
    assert writes[-1].startswith("UPDATE threads SET")
    assert any(each.startswith("INSERT INTO notifications") for each in writes)  # before the counters, too
    assert not any(each.startswith("SELECT") and "FROM films" in each for each in writes)  # what it renews: known before
    assert not any(locks_a_member(each) for done in transactions.done for each in done)


@pytest.mark.parametrize("top_level", [True, False], ids=["top-level", "nested"])
def test_a_plain_form_reply_counts_its_redirects_page_before_the_write_not_after_the_commit(board, top_level):
    """The COUNT that finds the reply's page runs in the transaction that read the post replied to (board/ranking.py
    new_reply_url): nothing runs after the write's COMMIT, where it would begin a third transaction."""
    app = board["app"]
    post = board["thread"].opening_post if top_level else board["posts"][1]
    transactions = written_reply(app, post, "Where will it be?")
    statements = [each for each in transactions.statements if not (is_lock(each) or counts_a_limit(each))]
    counted = [index for index, each in enumerate(statements) if "vote_groups" in each]  # board/ranking.py
    assert len(counted) == 1 and counted[0] < statements.index(next(each for each in statements
                                                                     if each.startswith("INSERT INTO posts")))
    assert statements[-1].startswith("UPDATE threads SET")  # the write's last statement, then COMMIT, then nothing


@pytest.mark.skipif(TEST_DATABASE_URL is not None, reason="SQLite's write lock")
def test_a_vote_and_a_reply_each_take_the_boards_write_lock_once_their_limits_counted_beside_it(app, tmp_path):
    """With the rate limits on, the limiter's count is written in its own database file, under its own lock.

    So a write queues once for the board's lock (BEGIN IMMEDIATE), not twice, and the count still holds across the
    worker processes of the machine (tests/test_limits.py runs them).
    """
    post = make_thread(app, make_user(app, "host")).opening_post
    client = app.test_client()
    member = make_user(app, "voter")
    client.log_in(member)
    with app.app_context():
        engine = db.engine
    for path, data in ((f"/posts/{post.id}/vote", {"direction": "up"}), (f"/posts/{post.id}/reply", {"body": "Once."})):
        began = []
        listener = lambda _connection, _cursor, statement, *_args: began.append(statement)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.submit(path, data).status_code == 303
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert began.count("BEGIN IMMEDIATE") == 1, path  # the others read, without the lock
    counts = tmp_path / "board.db-limits"
    assert counts.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(counts) as connection:
        keys = [key for (key,) in connection.execute("SELECT key FROM rate_limit_hits")]
    assert sum(f"member:{member.id}" in key for key in keys) == 3  # vote: 60 a minute; new reply: 6 a minute, 30 an hour
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RateLimitHit)) == 0




@pytest.mark.skipif(TEST_DATABASE_URL is not None, reason="the counts' own SQLite file")
def test_a_limited_vote_counts_in_one_statement_then_reads_its_window_once_for_the_headers(app):
    """On SQLite the count is one INSERT … SELECT on its own (no BEGIN, COMMIT or DELETE, and no writer's turn: SQLite
    holds the lock inside that one call), and Flask-Limiter's X-RateLimit headers share the one look at the window
    after it."""
    post = make_thread(app, make_user(app, "host")).opening_post
    client = app.test_client()
    client.log_in(make_user(app, "voter"))
    token = client.csrf_token()
    client.post(f"/posts/{post.id}/vote", data={"direction": "up", "csrf_token": token})  # the counts' engine exists
    counts = app.extensions[limit_storage.ENGINE]
    sent = []
    trace = lambda connection, _record, _proxy: connection.set_trace_callback(sent.append)  # noqa: E731
    event.listen(counts, "checkout", trace)
    try:
        response = client.post(f"/posts/{post.id}/vote", data={"direction": "down", "csrf_token": token})
    finally:
        event.remove(counts, "checkout", trace)
    assert response.status_code == 303
    assert (response.headers["X-RateLimit-Limit"], response.headers["X-RateLimit-Remaining"]) == ("60", "58")
    assert [statement.split()[0] for statement in sent] == ["INSERT", "SELECT"], sent


@pytest.mark.skipif(TEST_DATABASE_URL is not None, reason="the counts' own SQLite file")
def test_a_full_window_adds_no_attempt_and_attempts_out_of_every_window_are_swept_now_and_then(app_factory,
                                                                                                 monkeypatch):
    """The 429 comes from the count itself (nothing added when the window is full); expired attempts are deleted by
    the first count of a process, then not again for SWEEP_SECONDS (not a DELETE in every limited request)."""
    app = app_factory(RATE_LIMITS={"votes": "2 per minute"})
    post = make_thread(app, make_user(app, "host")).opening_post
    client = app.test_client()
    voter = make_user(app, "voter")
    client.log_in(voter)
    token = client.csrf_token()
    counts = app.config["DATABASE_URL"].removeprefix("sqlite:///") + "-limits"

    def vote() -> int:
        return client.post(f"/posts/{post.id}/vote", data={"direction": "up", "csrf_token": token}).status_code

    def keys() -> list[str]:  # the votes' and the planted one (logging in counted too)
        with sqlite3.connect(counts) as connection:
            return sorted(key for (key,) in connection.execute("SELECT key FROM rate_limit_hits") if "login" not in key)

    def expired_attempt(key: str) -> None:
        with sqlite3.connect(counts) as connection:
            connection.execute("INSERT INTO rate_limit_hits (key, expires_at) VALUES (?, 1)", (key,))

    assert vote() == 303  # the counts' database exists from here on
    expired_attempt("long gone")
    assert [vote(), vote()] == [303, 429]
    assert keys() == [f"LIMITER/member:{voter.id}/posts.vote/2/1/minute"] * 2 + ["long gone"]  # no sweep: not yet due
    monkeypatch.setattr(limit_storage, "SWEEP_SECONDS", 0)
    assert vote() == 429  # due: this count sweeps, then finds the window still full
    assert keys() == [f"LIMITER/member:{voter.id}/posts.vote/2/1/minute"] * 2


# Statements per write, whole request (the limiter's counts left out: they are tests/test_limits.py's), plain form and
# htmx.
# A vote: the session's member, the post, the vote read and written, the counters, and for a plain form reply_url's
# COUNT (an htmx vote answers with its fragment: no URL to find). A reply: the member, the post, its mentions linked,
# one SELECT of whom to notify and who among them wants mail, for a plain form the same COUNT (where the redirect goes,
# board/ranking.py new_reply_url); then under the lock the insert (its id, its path and the double-submit check in
# it), the notification, the thread's counters (REPLY_UNDER_LOCK: 3, since whom to notify is read before the lock,
# board/notifications.py notifier); for htmx, after the commit, the author's shown name in the fragment. The same on
# SQLite and PostgreSQL.
WRITE_BUDGET = {("vote", False): 6, ("vote", True): 5, ("reply", False): 8, ("reply", True): 8}
REPLY_UNDER_LOCK = 3


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("write", ["vote", "reply"])
def test_a_vote_and_a_reply_run_a_fixed_few_statements(app_factory, write, htmx):
    app = app_factory(RATE_LIMITS=NO_LIMITS)  # not RATELIMIT_ENABLED: the one Limiter would keep it for later apps
    host, replier = make_user(app, "host"), make_user(app, "replier")
    thread = make_thread(app, host, "Opening night")  # the host follows it
    post = make_reply(app, thread.opening_post, replier, "The first reply.")
    client = app.test_client()
    client.log_in(make_user(app, "writer"))
    token = client.csrf_token()
    path, data = (f"/posts/{post.id}/vote", {"direction": "up"}) if write == "vote" else (
        f"/posts/{post.id}/reply", {"body": "Agreed, @host and @replier."})
    headers = {"HX-Request": "true"} if htmx else {}
    with app.app_context():
        engine = db.engine
    with Transactions(engine) as transactions:
        response = client.post(path, data={**data, "csrf_token": token}, headers=headers)
    assert response.status_code == (200 if htmx else 303)
    statements = [each for each in transactions.statements if not (is_lock(each) or counts_a_limit(each))]
    assert len(statements) == WRITE_BUDGET[write, htmx], statements
    if write == "reply":
        writes = [each for each in transactions.writing("INSERT INTO posts") if not is_lock(each)]
        assert len(writes) == REPLY_UNDER_LOCK, writes


def counts_a_limit(statement: str) -> bool:
    """A rate-limit count (PostgreSQL keeps them in the board's database, on a connection of their own)."""
    return "rate_limit_hits" in statement or "synchronous_commit" in statement


def test_a_reply_is_inserted_with_its_path(app_factory):
    """The INSERT writes the path (no UPDATE after it): as stored, the parent's path and the reply's own id, the id the
    database would have given it, after every earlier post's."""
    app = app_factory()
    host, replier = make_user(app, "host"), make_user(app, "replier")
    thread = make_thread(app, host, "Opening night")
    first = make_reply(app, thread.opening_post, replier, "A top-level reply.")
    nested = make_reply(app, first, host, "And an answer to it.")
    with app.app_context():
        stored = dict(db.session.execute(select(Post.id, Post.path).where(Post.thread_id == thread.id)).all())
        newest_before = db.session.scalar(select(func.max(Post.id)).where(Post.id < first.id))
    assert thread.opening_post.id == newest_before and first.id + 1 == nested.id
    assert stored == {
        thread.opening_post.id: Post.path_segment(thread.opening_post.id),
        first.id: Post.path_segment(thread.opening_post.id) + Post.path_segment(first.id),
        nested.id: Post.path_segment(thread.opening_post.id) + Post.path_segment(first.id) + Post.path_segment(nested.id),
    }


@pytest.mark.skipif(TEST_DATABASE_URL is not None, reason="SQLite's query plan")
def test_a_replys_double_submit_check_reads_the_authors_last_seconds_not_every_reply_to_the_post(app):
    """The check is inside the reply's INSERT, under the write lock: through the index on parent_id it read every reply
    to the post answered, hundreds on a busy one; through ix_posts_author_created, the author's posts of the window."""
    with app.app_context():
        connection = db.session.connection()
        sql = str(reply_statements("sqlite").insert.compile(connection))
        plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (1,) * sql.count("?"))]
    assert "SEARCH posts USING INDEX ix_posts_author_created (author_id=? AND created_at>?)" in plan, plan


def test_a_reply_answers_with_the_threads_counters_as_stored_others_replies_included(board):
    """The htmx fragment shows the thread's reply count: the one its UPDATE stored (RETURNING), not the count read
    before the write lock plus one, which misses a reply another member committed in between."""
    app, post, thread = board["app"], board["posts"][1], board["thread"]
    writer = make_user(app, "writer")
    with app.app_context():
        member = db.session.get(type(writer), writer.id)
        replied_to = db.session.get(Post, post.id)
        assert replied_to.thread.reply_count == 1  # read, as the view reads it before the lock
        db.session.commit()  # the view's reads end here (board/database.py reading())
        with db.engine.begin() as other:  # another member's reply, committed meanwhile
            other.execute(Thread.__table__.update().where(Thread.id == thread.id)
                          .values(reply_count=Thread.reply_count + 1))
        reply = replied_to.add_reply(member, "Counted with the others.")
        db.session.commit()
        assert replied_to.thread.reply_count == 3 == db.session.get(Thread, thread.id).reply_count
        assert reply.thread is replied_to.thread and reply.path.endswith(Post.path_segment(reply.id))
