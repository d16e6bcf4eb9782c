"""Refusals leave a trace: one escaped log line for each failed login, 400, CSRF failure, 403 and 429, through the real routes.

No line ever holds a password or a token, and text a visitor typed can't break a line or send a terminal escape.
"""
import logging

import pytest

from board.models import Role

from .factories import DEFAULT_PASSWORD, make_reply, make_thread, make_user

ADDRESS = "203.0.113.9"


@pytest.fixture
def board_log(caplog):
    """The board's own records (logger `board`), as any handler of the server would receive them."""
    caplog.set_level(logging.INFO, logger="board")

    def lines() -> list[str]:
        return [caplog.handler.format(record) for record in caplog.records if record.name == "board"]

    return lines


def from_address() -> dict:
    return {"environ_base": {"REMOTE_ADDR": ADDRESS}}


def assert_one_line_each(lines: list[str]) -> None:
    for line in lines:
        assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u202e" not in line, repr(line)


def test_a_failed_login_logs_the_name_as_typed_and_the_address_never_the_password(app, client, board_log):
    make_user(app, "ana")
    secret = "hunter2-never-logged"
    response = client.submit("/login", {"username": "ana\x1b[2J", "password": secret}, **from_address())
    assert response.status_code == 422
    client.submit("/login", {"username": "ana", "password": secret}, **from_address())
    lines = board_log()
    assert [line.split(" refused ", 1)[-1] for line in lines if "refused login" in line] == [
        r"login: unknown username or wrong password for 'ana\x1b[2J' (visitor, from 203.0.113.9, POST /login)",
        f"login: unknown username or wrong password for 'ana' (visitor, from {ADDRESS}, POST /login)",
    ]
    assert_one_line_each(lines)
    assert not any(secret in line for line in lines)
    client.log_in(make_user(app, "ben"))  # a successful login is not a refusal
    assert len(board_log()) == 2


def test_a_banned_members_login_is_logged(app, client, board_log):
    member = make_user(app, "troll")
    moderator = make_user(app, "mod", role=Role.MODERATOR)
    other = app.test_client()
    other.log_in(moderator)
    assert other.submit(f"/members/{member.id}/ban", {"term": "7", "reason": "spam"}).status_code == 303
    client.submit("/login", {"username": "troll", "password": DEFAULT_PASSWORD}, **from_address())
    assert any(f"refused login: banned member for 'troll' (visitor, from {ADDRESS}, POST /login)" in line
               for line in board_log())
    assert not any(DEFAULT_PASSWORD in line for line in board_log())


def test_a_csrf_failure_is_logged_without_the_token_even_on_a_path_with_line_breaks(app, client, board_log):
    forged = "forged-token-value-1234"
    response = client.post("/films/her%0D%0A[fake] refused nothing%1B[31m/rename", data={"csrf_token": forged}, **from_address())
    assert response.status_code == 400
    client.post("/login", data={"username": "ana", "password": "pw-in-the-body"}, **from_address())
    lines = board_log()
    assert lines[0].endswith(
        r"refused CSRF: The CSRF session token is missing. (visitor, from 203.0.113.9, POST /films/her\r\n[fake] refused nothing\x1b[31m/rename)"
    )
    assert lines[1].endswith(f"refused CSRF: The CSRF token is missing. (visitor, from {ADDRESS}, POST /login)")
    assert_one_line_each(lines)
    assert not any(forged in line or "pw-in-the-body" in line or client.csrf_token() in line for line in lines)


def test_a_403_names_the_member_and_the_route(app, client, board_log):
    author = make_user(app, "author")
    reply = make_reply(app, make_thread(app, author).opening_post, author)
    reader = make_user(app, "reader")
    client.log_in(reader)
    for htmx in (False, True):
        assert client.submit(f"/posts/{reply.id}/hide", {"reason": ""}, htmx=htmx).status_code == 403
    expected = f"refused 403: Only moderators can do that. (member {reader.id} 'reader', from 127.0.0.1, POST /posts/{reply.id}/hide)"
    assert [line for line in board_log() if "refused" in line and not line.endswith(expected)] == []
    assert len(board_log()) == 2


def test_a_429_names_the_limit_and_what_it_counted(app_factory, board_log):
    board = app_factory(RATE_LIMITS={"votes": "1 per minute", "login_per_address": "1 per minute"})
    author, voter = make_user(board, "author"), make_user(board, "voter")
    post = make_thread(board, author).opening_post
    client = board.test_client()
    client.log_in(voter)
    client.submit(f"/posts/{post.id}/vote", {"direction": "up"})
    assert client.submit(f"/posts/{post.id}/vote", {"direction": "down"}, htmx=True).status_code == 429
    visitor = board.test_client()
    visitor.submit("/login", {"username": "x", "password": "secret-one"}, **from_address())
    assert visitor.submit("/login", {"username": "x", "password": "secret-two"}, **from_address()).status_code == 429
    refusals = [line.split(" refused ", 1)[-1] for line in board_log() if "refused 429" in line]
    assert refusals == [
        f"429: limit votes, 1 per 1 minute, per member:{voter.id} (member {voter.id} 'voter', from 127.0.0.1, POST /posts/{post.id}/vote)",
        f"429: limit login_per_address, 1 per 1 minute, per address:{ADDRESS} (visitor, from {ADDRESS}, POST /login)",
    ]
    assert not any("secret-" in line for line in board_log())


def test_malformed_input_is_logged_as_a_400(app, client, board_log):
    member = make_user(app, "ana")
    client.log_in(member)
    token = client.csrf_token()
    response = client.post("/threads/new", data=f"csrf_token={token}&title=a%00b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert board_log()[-1].endswith(f"refused 400: The request contains a NUL character. (member {member.id} 'ana', from 127.0.0.1, POST /threads/new)")


def test_a_traceback_stays_under_its_record(app, caplog):
    """An exception's message can't start a line that passes for a record of its own."""
    caplog.set_level(logging.ERROR, logger="board")
    with app.app_context():
        try:
            raise ValueError("bad title\n[2026-01-01] WARNING refused nothing\x1b[2J")
        except ValueError:
            app.logger.exception("rendering %s failed", "a title\r\nwith a break")
    text = caplog.handler.format(caplog.records[-1])
    first, *rest = text.split("\n")
    assert first.endswith(r"rendering a title\r\nwith a break failed")
    assert rest and all(line.startswith("    ") for line in rest)
    assert "\x1b" not in text and rest[-1] == r"    [2026-01-01] WARNING refused nothing\x1b[2J"
