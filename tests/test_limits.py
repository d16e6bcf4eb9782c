"""Rate limits, crossed through the real app: per account, address and member, in memory and shared through Redis."""
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from board import limits
from board.extensions import db
from board.models import NEW_ACCOUNT_PERIOD, Post, Report, Thread, User, utcnow

from .factories import DEFAULT_PASSWORD, make_reply, make_thread, make_user

ROOT = Path(__file__).resolve().parent.parent
# Low limits, so that a test crosses each in a few requests; the defaults are documented in board/limits.py.
LOW_LIMITS = {
    "login_per_account": "3 per 15 minutes",
    "login_per_address": "5 per 15 minutes",
    "registration_per_address": "2 per hour",
    "threads_new_account": "2 per hour",
    "threads": "4 per hour",
    "replies_new_account": "3 per minute",
    "replies": "5 per minute",
    "votes": "4 per minute",
    "reports": "2 per hour",
    "edits": "2 per hour",
}
RETRY_IN_WORDS = re.compile(r"Please try again in (\d+) (second|seconds|minute|minutes|hour|hours)\.")


@pytest.fixture
def board(app_factory):
    return app_factory(RATE_LIMITS=LOW_LIMITS)


@pytest.fixture
def client(board):
    return board.test_client()


@pytest.fixture
def conversation(board):
    """A thread by its host, with one reply by a regular."""
    host, regular = make_user(board, "host"), make_user(board, "regular")
    thread = make_thread(board, host, "Stalker at the Rio")
    return {"thread": thread, "regular": regular, "reply": make_reply(board, thread.opening_post, regular)}


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def establish(app, user: User) -> None:
    """Age an account past NEW_ACCOUNT_PERIOD."""
    with app.app_context():
        db.session.get(User, user.id).created_at = utcnow() - NEW_ACCOUNT_PERIOD - timedelta(hours=1)
        db.session.commit()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def refused(response, message: str) -> bool:
    """A 429 that says what was limited and when to try again, in words and in Retry-After."""
    text = response.get_data(as_text=True)
    return (response.status_code == 429 and message in text and RETRY_IN_WORDS.search(text) is not None
            and int(response.headers["Retry-After"]) > 0)


# Logging in and registering -------------------------------------------------------------------------------------------

def test_login_is_limited_per_account_from_any_address(board, client):
    make_user(board, "Alice")
    make_user(board, "bob")
    for number, spelling in enumerate(["Alice", "alice", "  ALICE "]):
        attempt = {"username": spelling, "password": "wrong guess"}
        assert client.submit("/login", attempt, **from_address(f"10.0.0.{number}")).status_code == 422
    blocked = client.submit("/login", {"username": "alice", "password": DEFAULT_PASSWORD}, **from_address("10.0.0.9"))
    assert refused(blocked, "Too many login attempts for this account.")
    assert "Log out" not in client.get("/").get_data(as_text=True)
    assert client.get("/login").status_code == 200  # the form itself is never limited
    other = client.submit("/login", {"username": "bob", "password": DEFAULT_PASSWORD}, **from_address("10.0.0.9"))
    assert other.status_code == 303


def test_login_is_limited_per_address_whatever_the_account(board, client):
    member = make_user(board, "carol")
    for number in range(5):
        wrong = client.submit("/login", {"username": f"guess{number}", "password": "wrong"}, **from_address("10.0.1.1"))
        assert wrong.status_code == 422
    right = {"username": member.username, "password": DEFAULT_PASSWORD}
    blocked = client.submit("/login", right, **from_address("10.0.1.1"))
    assert refused(blocked, "Too many login attempts from your network.")
    assert client.submit("/login", right, **from_address("10.0.1.2")).status_code == 303


def test_registration_is_limited_per_address(board, client):
    def register(username: str, address: str):
        form = {"username": username, "password": DEFAULT_PASSWORD, "confirm": DEFAULT_PASSWORD}
        return client.submit("/register", form, **from_address(address))

    assert [register(f"newcomer{n}", "10.0.2.1").status_code for n in range(2)] == [303, 303]
    assert refused(register("newcomer2", "10.0.2.1"), "Too many accounts were created from your network.")
    assert count(board, User) == 2
    assert register("newcomer3", "10.0.2.2").status_code == 303


# Posting: stricter for new accounts -----------------------------------------------------------------------------------

@pytest.mark.parametrize("established, allowed", [(False, 2), (True, 4)], ids=["new-account", "established"])
def test_starting_threads_is_limited_per_member(board, client, established, allowed):
    member = make_user(board, "starter")
    if established:
        establish(board, member)
    client.log_in(member)

    def start(number: int):
        return client.submit("/threads/new", {"title": f"Thread {number}", "film_title": "Solaris", "film_year": "1972",
                                              "body": f"Opening post {number}."})

    assert [start(number).status_code for number in range(allowed)] == [303] * allowed
    blocked = start(allowed)
    assert refused(blocked, "You are starting threads too quickly.")
    assert (limits.NEW_ACCOUNT_NOTE in blocked.get_data(as_text=True)) is not established
    assert count(board, Thread) == allowed
    assert client.get("/threads/new").status_code == 200
    client.log_in(make_user(board, "someone_else"))
    assert start(99).status_code == 303  # counted per member


@pytest.mark.parametrize("established, allowed", [(False, 3), (True, 5)], ids=["new-account", "established"])
def test_replying_is_limited_per_member(board, client, conversation, established, allowed):
    member = make_user(board, "replier")
    if established:
        establish(board, member)
    client.log_in(member)
    url = f"/posts/{conversation['reply'].id}/reply"
    statuses = [client.submit(url, {"body": f"Point number {n}."}).status_code for n in range(allowed)]
    assert statuses == [303] * allowed
    assert refused(client.submit(url, {"body": "One point too many."}), "You are replying too quickly.")
    with board.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id)).where(Post.author_id == member.id)) == allowed
    assert client.get(url).status_code == 200  # the reply form still opens
    client.log_in(make_user(board, "another_replier"))
    assert client.submit(url, {"body": "My first point."}).status_code == 303


def test_votes_are_limited_per_member(board, client, conversation):
    client.log_in(make_user(board, "voter"))
    url = f"/posts/{conversation['reply'].id}/vote"
    directions = ["up", "down", "up", "down"]
    assert [client.submit(url, {"direction": d}).status_code for d in directions] == [303] * 4
    assert refused(client.submit(url, {"direction": "up"}), "You are voting too quickly.")
    client.log_in(make_user(board, "other_voter"))
    assert client.submit(url, {"direction": "up"}).status_code == 303


def test_reports_are_limited_per_member(board, client, conversation):
    posts = [make_reply(board, conversation["thread"].opening_post, conversation["regular"]) for _ in range(3)]
    client.log_in(make_user(board, "reporter"))
    statuses = [client.submit(f"/posts/{post.id}/report", {"reason": "spam"}).status_code for post in posts[:2]]
    assert statuses == [303, 303]
    assert refused(client.submit(f"/posts/{posts[2].id}/report", {"reason": "spam"}), "You have sent too many reports.")
    assert count(board, Report) == 2
    assert client.get(f"/posts/{posts[2].id}/report").status_code == 200


def test_edits_are_limited_per_member(board, client, conversation):
    client.log_in(conversation["regular"])
    url = f"/posts/{conversation['reply'].id}/edit"
    # Every attempt counts, whatever the view answers (editing may still be a stub that answers 501).
    for number in range(2):
        assert client.submit(url, {"body": f"Edited, take {number}."}).status_code != 429
    assert refused(client.submit(url, {"body": "Edited once too often."}), "You are editing too quickly.")
    assert client.get(url).status_code != 429


def test_a_visitor_is_sent_to_log_in_not_counted(board, client, conversation):
    for _ in range(6):
        response = client.submit(f"/posts/{conversation['reply'].id}/vote", {"direction": "up"})
        assert response.status_code == 303 and response.headers["Location"].startswith("/login")


# How a refusal looks --------------------------------------------------------------------------------------------------

def test_a_refused_htmx_request_gets_a_short_fragment_with_retry_after(board, client, conversation):
    client.log_in(make_user(board, "quick"))
    url = f"/posts/{conversation['reply'].id}/reply"
    for number in range(3):
        assert client.submit(url, {"body": f"Inline point {number}."}, htmx=True).status_code == 200
    response = client.submit(url, {"body": "Inline point too many."}, htmx=True)
    text = response.get_data(as_text=True)
    assert refused(response, "You are replying too quickly.")
    assert "<html" not in text and 'data-status="429"' in text  # app.js announces it in the toast
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-RateLimit-Limit"] == "3" and response.headers["X-RateLimit-Remaining"] == "0"


def test_a_refused_form_post_gets_a_whole_page_saying_when_to_retry(board, client):
    for number in range(3):
        client.submit("/login", {"username": "dora", "password": f"guess {number}"})
    response = client.submit("/login", {"username": "dora", "password": "one more guess"})
    text = response.get_data(as_text=True)
    assert refused(response, "Too many login attempts for this account.")
    assert "<html" in text and "<h1>Too Many Requests</h1>" in text
    assert "Please try again in 15 minutes." in text
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60


@pytest.mark.parametrize("seconds, words", [(1, "1 second"), (59, "59 seconds"), (60, "1 minute"), (61, "2 minutes"),
                                            (900, "15 minutes"), (7200, "120 minutes"), (7201, "3 hours")])
def test_the_wait_is_said_in_words_rounded_up(seconds, words):
    from board.errors import wait_in_words

    assert wait_in_words(seconds) == words


# Configuration --------------------------------------------------------------------------------------------------------

def test_the_limits_table_documents_every_default():
    rows = re.findall(r"^\| `(\w+)` +\| ([^|]+?) +\|", limits.__doc__, re.M)
    assert dict(rows) == limits.DEFAULT_LIMITS
    named = {rule.limit for rule in limits.RULES} | {rule.new_accounts for rule in limits.RULES if rule.new_accounts}
    assert named == set(limits.DEFAULT_LIMITS)


def test_building_more_boards_in_one_process_does_not_stack_their_limits(app_factory):
    boards = [app_factory(RATE_LIMITS=LOW_LIMITS) for _ in range(3)]  # each empties the test database
    thread = make_thread(boards[-1], make_user(boards[-1], "host"))
    client = boards[-1].test_client()
    client.log_in(make_user(boards[-1], "voter"))
    url = f"/posts/{thread.opening_post.id}/vote"
    assert [client.submit(url, {"direction": "up"}).status_code for _ in range(5)] == [303] * 4 + [429]


def test_the_defaults_apply_counted_in_the_boards_database_unless_redis_is_configured(app, app_factory, redis_url):
    assert app.config["RATE_LIMITS"] == {}
    assert app.config["RATELIMIT_STORAGE_URI"] == "reelboard-database://"
    assert app_factory(REDIS_URL=redis_url).config["RATELIMIT_STORAGE_URI"] == redis_url


@pytest.mark.parametrize("rate_limits, complaint", [({"vote": "1 per minute"}, "unknown limit 'vote'"),
                                                    ({"votes": "often"}, "is not a limit like")])
def test_a_mistyped_limit_stops_the_board_from_starting(app_factory, rate_limits, complaint):
    with pytest.raises(ValueError, match=complaint):
        app_factory(RATE_LIMITS=rate_limits)


# Several processes: they share one count, through the board's database on one machine, through Redis across app
# servers. The board in another process is a real second process (a worker of `make run`): apps in one process would
# share the one module-level limiter, and so its counts, whatever the storage.

OTHER_PROCESS = """
import json, sys
from tests.conftest import make_test_app
database_url, redis_url, rate_limits, usernames = json.loads(sys.argv[1])
client = make_test_app(database_url, REDIS_URL=redis_url, RATE_LIMITS=rate_limits).test_client()
print(json.dumps([client.submit("/login", {"username": username, "password": "wrong"}).status_code
                  for username in usernames]))
"""


def failed_logins_in_another_process(database_url: str, redis_url: str | None, username: str | list,
                                     attempts: int = 1) -> list:
    """Another board process on the same database (and Redis, if given) tries to log in: its statuses."""
    usernames = [username] * attempts if isinstance(username, str) else username
    arguments = json.dumps([database_url, redis_url, LOW_LIMITS, usernames])
    done = subprocess.run([sys.executable, "-W", "error", "-c", OTHER_PROCESS, arguments],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def failed_logins(client, username: str, attempts: int) -> list:
    return [client.submit("/login", {"username": username, "password": "wrong"}).status_code for _ in range(attempts)]


def test_two_processes_sharing_redis_share_one_limit(app_factory, database_url, redis_url):
    app_factory()  # the tables both processes log in against
    assert failed_logins_in_another_process(database_url, redis_url, "erin", 2) == [422, 422]
    assert failed_logins_in_another_process(database_url, redis_url, "erin", 2) == [422, 429]
    with redis.Redis.from_url(redis_url) as server:
        assert any(b"account:erin" in key for key in server.keys("LIMITS*"))


def test_two_processes_without_redis_share_one_login_limit_per_account(app_factory, database_url):
    """`make run`'s two workers: the third wrong password for one account is refused, whichever worker has it."""
    client = app_factory(RATE_LIMITS=LOW_LIMITS).test_client()
    assert failed_logins(client, "frank", 2) == [422, 422]
    assert failed_logins_in_another_process(database_url, None, "frank", 2) == [422, 429]
    assert failed_logins(client, "frank", 1) == [429]


def test_two_processes_without_redis_share_one_login_limit_per_address(app_factory, database_url):
    client = app_factory(RATE_LIMITS=LOW_LIMITS).test_client()
    assert failed_logins_in_another_process(database_url, None, ["guess0", "guess1", "guess2"]) == [422] * 3
    assert [failed_logins(client, f"guess{number}", 1)[0] for number in (3, 4, 5)] == [422, 422, 429]



def test_an_unreachable_redis_falls_back_to_limits_in_memory(app_factory, database_url):
    app_factory()  # the tables the other process logs in against
    statuses = failed_logins_in_another_process(database_url, "redis://127.0.0.1:1/0", "grace", 4)
    assert statuses == [422, 422, 422, 429]


def test_two_processes_guessing_at_once_get_exactly_the_limit_between_them(app_factory, database_url):
    """Counting and adding are one step: processes racing on one account never slip an attempt past the limit."""
    app_factory(RATE_LIMITS=LOW_LIMITS)
    arguments = json.dumps([database_url, None, LOW_LIMITS, ["henry"] * 6])
    racing = [subprocess.Popen([sys.executable, "-W", "error", "-c", OTHER_PROCESS, arguments], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    statuses = []
    for process in racing:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        statuses += json.loads(out.splitlines()[-1])
    assert sorted(statuses) == [422] * 3 + [429] * 9
