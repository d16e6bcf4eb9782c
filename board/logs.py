"""The board's log: every record kept to its own lines, and one line for each request the board refuses.

Everything is written through the app's logger (`board`). With no logging configured, Flask sends it to the
server's error stream: granian's stderr under `make run`, the journal under systemd (README, docs/deploy.md).
Refusals are WARNING, so they show without any configuration; an admin greps for "refused".
"""
import logging

from flask import Flask, current_app, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .characters import for_log
from .limits import RULES, new_member

REFUSED_CODES = {400, 403, 429}


class EscapedRecords(logging.Filter):
    """A record's message on one line (CR, LF, ESC, bidi controls escaped); a traceback's lines indented under it.

    A filter on the logger, not a formatter on one handler: every handler (Flask's, the journal's, a test's)
    then gets the escaped text, so typed text can neither forge a line nor send a terminal escape.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = for_log(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = indented(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = indented(record.stack_info)
        return True


def indented(text: str) -> str:
    """Each line escaped and indented: a line an exception's message adds can't pass for a record of its own."""
    return "\n".join("    " + for_log(line) for line in text.splitlines())


def init_app(app: Flask) -> None:
    logger = logging.getLogger(app.name)  # app.logger's logger, before Flask gives it its handler
    if not any(isinstance(existing, EscapedRecords) for existing in logger.filters):
        logger.addFilter(EscapedRecords())


def requester() -> str:
    """Who asked, from where, for what: `member 3 'ana', from 203.0.113.9, POST /posts/7/vote` (never a query string)."""
    who = f"member {current_user.id} {current_user.username!r}" if current_user.is_authenticated else "visitor"
    return f"{who}, from {request.remote_addr}, {request.method} {request.path}"


def refused(what: str, detail: str) -> None:
    current_app.logger.warning("refused %s: %s (%s)", what, detail, requester())


def refused_login(username: str, reason: str) -> None:
    """A failed login: the username as typed, never the password."""
    refused("login", f"{reason} for {username!r}")


def refused_request(error: HTTPException) -> None:
    """A 400, CSRF failure, 403 or 429 on its way to its error page (the description never holds a token)."""
    if isinstance(error, CSRFError):
        refused("CSRF", error.description)
    elif error.code == 429:
        refused("429", too_many(error))
    elif error.code in REFUSED_CODES:
        refused(str(error.code), error.description)


def too_many(error) -> str:
    """Which limit (its RATE_LIMITS name), its value and what it counted: `replies, 20 per 1 minute, per member:3`."""
    limit = getattr(error, "limit", None)  # Flask-Limiter's RateLimitExceeded; a plain abort(429) has none
    if limit is None:
        return error.description
    rule = next((rule for rule in RULES if rule.error_message == limit.error_message), None)
    name = "unnamed" if rule is None else rule.new_accounts if rule.new_accounts and new_member() else rule.limit
    return f"limit {name}, {limit.limit}, per {limit.key_func()}"
