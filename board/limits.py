"""Limits against floods and abuse: every rate limit of the board, declared by endpoint in one table (RULES).

Only the state-changing POSTs are limited, never the forms behind them — and one read, the @name suggestions, which
would otherwise let anyone list every member name by prefix quickly. Every attempt that reaches the view counts,
whatever its outcome (a successful login as much as a failed one): a count taken before the view runs cannot be
outrun by many requests sent at once. Requests refused earlier (no CSRF token, a banned member) count for nothing.

| Limit (`RATE_LIMITS` key)  | Default                   | Endpoint (POST)        | Counted per                              |
|----------------------------|---------------------------|------------------------|------------------------------------------|
| `login_per_account`        | 10 per 15 minutes         | `auth.login`           | username typed, any case                 |
| `login_per_address`        | 30 per 15 minutes         | `auth.login`           | client address                           |
| `registration_per_address` | 10 per hour; 20 per day   | `auth.register`        | client address                           |
| `reset_per_account`        | 3 per hour                | `auth.forgot_password` | email address typed, any case            |
| `reset_per_address`        | 10 per hour               | `auth.forgot_password` | client address                           |
| `new_password_per_address` | 10 per hour               | `auth.reset_password`  | client address                           |
| `email_changes`            | 5 per hour                | `account.email`        | member                                   |
| `threads_new_account`      | 3 per hour                | `threads.new`          | member, while new (`NEW_ACCOUNT_PERIOD`) |
| `threads`                  | 10 per hour               | `threads.new`          | member                                   |
| `replies_new_account`      | 6 per minute; 30 per hour | `posts.reply`          | member, while new                        |
| `replies`                  | 20 per minute             | `posts.reply`          | member                                   |
| `film_logs_new_account`    | 6 per minute; 30 per hour | `film_logs.log`        | member, while new                        |
| `film_logs`                | 20 per minute             | `film_logs.log`        | member                                   |
| `votes`                    | 60 per minute             | `posts.vote`           | member                                   |
| `reports`                  | 10 per hour               | `reports.report`       | member                                   |
| `edits`                    | 30 per hour               | `posts.edit`, `film_logs.edit` | member (a count per endpoint)    |
| `previews`                 | 30 per minute             | `threads.new`, `posts.reply`, `posts.edit`, `members.bio` with `preview` | member, one count for all four |
| `choices`                  | 60 per minute             | `following.follow`, `following.block`, `following.bookmark` | member |
| `profile_changes`          | 10 per hour               | `account.display_name`, `account.avatar`, `account.remove_avatar` | member, one count for all three |
| `name_suggestions`         | 120 per minute            | `following.suggest_names` (GET) | client address              |
| `data_exports`             | 10 per hour               | `account.export`, `admin.export_member` (GET) | member (one count for both) |
| `account_deletions`        | 5 per hour                | `account.delete`, `admin.delete_member` | member (one count for both)     |
| `session_ends`             | 10 per hour               | `account.end_other_sessions` | member                        |

A Preview (board/previews.py) posts its Markdown box's form to the box's own route: it counts against `previews`
only, never against the route's write limit, so checking a reply first does not use up the replies a member may post.

Configuration `RATE_LIMITS` replaces any of these by key, e.g. `{"votes": "30 per minute"}`. Each limit is one count
for the whole board: the counts live in the board's database on PostgreSQL, in a small database beside the board's
on SQLite (board/limit_storage.py), which every worker process of the machine shares, or in Redis when `REDIS_URL` is set, which every app server shares. A member-counted limit
skips visitors, whom the view then sends to the login page.
"""
from collections.abc import Callable
from dataclasses import dataclass
from time import time

from flask import Flask, current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many

from . import limit_storage  # noqa: F401 (registers the reelboard-database:// storage with the limits library)
from .extensions import limiter
from .models import NEW_ACCOUNT_PERIOD
from .previews import wants_preview
from .security import READ_ONLY_METHODS

LOGIN_PER_ACCOUNT = "10 per 15 minutes"
LOGIN_PER_ADDRESS = "30 per 15 minutes"
REGISTRATION_PER_ADDRESS = "10 per hour; 20 per day"
RESET_PER_ACCOUNT = "3 per hour"
RESET_PER_ADDRESS = "10 per hour"
NEW_PASSWORD_PER_ADDRESS = "10 per hour"
EMAIL_CHANGES = "5 per hour"
THREADS_NEW_ACCOUNT = "3 per hour"
THREADS = "10 per hour"
REPLIES_NEW_ACCOUNT = "6 per minute; 30 per hour"
REPLIES = "20 per minute"
VOTES = "60 per minute"
REPORTS = "10 per hour"
EDITS = "30 per hour"
PREVIEWS = "30 per minute"
CHOICES = "60 per minute"
NAME_SUGGESTIONS = "120 per minute"
DATA_EXPORTS = "10 per hour"
ACCOUNT_DELETIONS = "5 per hour"
SESSION_ENDS = "10 per hour"
PROFILE_CHANGES = "10 per hour"  # display name and avatar: each change renews every page that shows the member

DEFAULT_LIMITS = {
    "login_per_account": LOGIN_PER_ACCOUNT,
    "login_per_address": LOGIN_PER_ADDRESS,
    "registration_per_address": REGISTRATION_PER_ADDRESS,
    "reset_per_account": RESET_PER_ACCOUNT,
    "reset_per_address": RESET_PER_ADDRESS,
    "new_password_per_address": NEW_PASSWORD_PER_ADDRESS,
    "email_changes": EMAIL_CHANGES,
    "threads_new_account": THREADS_NEW_ACCOUNT,
    "threads": THREADS,
    "replies_new_account": REPLIES_NEW_ACCOUNT,
    "replies": REPLIES,
    "film_logs_new_account": REPLIES_NEW_ACCOUNT,  # logging a film (with its review) is limited like a reply
    "film_logs": REPLIES,
    "votes": VOTES,
    "reports": REPORTS,
    "edits": EDITS,
    "previews": PREVIEWS,
    "choices": CHOICES,
    "name_suggestions": NAME_SUGGESTIONS,
    "data_exports": DATA_EXPORTS,
    "account_deletions": ACCOUNT_DELETIONS,
    "session_ends": SESSION_ENDS,
    "profile_changes": PROFILE_CHANGES,
}
NEW_ACCOUNT_NOTE = f"New accounts have lower limits for their first {NEW_ACCOUNT_PERIOD.days} days."


LIMITED_READS = frozenset({"following.suggest_names", "account.export", "admin.export_member"})


@limiter.request_filter
def reading() -> bool:
    """Reads are not limited (but LIMITED_READS), so the limiter skips them without looking anything up."""
    return request.method in READ_ONLY_METHODS and request.endpoint not in LIMITED_READS


def by_address() -> str:
    return f"address:{get_remote_address()}"


def by_account() -> str:
    """The account a login names, folded as the login form and User.by_username fold it (cut short: it is a key)."""
    return "account:" + " ".join(request.form.get("username", "").split()).lower()[:100]


def by_mail_account() -> str:
    """The account a "forgot password" request names: its address as typed, any case (cut short: it is a key)."""
    return "mail-account:" + request.form.get("email", "").strip().lower()[:300]


def no_address_typed() -> bool:
    return not request.form.get("email", "").strip()


def by_member() -> str:
    return f"member:{current_user.id}"


def no_account_named() -> bool:
    return not request.form.get("username", "").strip()


def visitor() -> bool:
    return not current_user.is_authenticated


def visitor_or_previewing() -> bool:
    """Exempts a route's write limit: a visitor is sent to log in, a preview writes nothing."""
    return visitor() or wants_preview()


def visitor_or_saving() -> bool:
    """Exempts the `previews` limit: it counts a member's Preview buttons only."""
    return visitor() or not wants_preview()


def new_member() -> bool:
    return current_user.is_authenticated and current_user.is_new()


@dataclass(frozen=True)
class Rule:
    """One limit on an endpoint's POSTs: the limit named `limit` (`new_accounts` for a new member), counted by `key`.

    Rules are created once, here: Flask-Limiter keeps limits per view function across apps and drops a repeated one
    only when it compares equal, which these bound methods do.
    """

    endpoint: str
    limit: str
    key: Callable[[], str]
    message: str
    new_accounts: str | None = None
    exempt_when: Callable[[], bool] | None = None
    scope: str | None = None  # one count shared by every endpoint with this scope (else a count per endpoint)
    methods: tuple = ("POST",)

    def limit_value(self) -> str:
        name = self.new_accounts if self.new_accounts and new_member() else self.limit
        return configured_limit(name)

    def error_message(self) -> str:
        return f"{self.message} {NEW_ACCOUNT_NOTE}" if self.new_accounts and new_member() else self.message


RULES = (
    Rule("auth.login", "login_per_account", by_account, "Too many login attempts for this account.",
         exempt_when=no_account_named),
    Rule("auth.login", "login_per_address", by_address, "Too many login attempts from your network."),
    Rule("auth.register", "registration_per_address", by_address, "Too many accounts were created from your network."),
    Rule("auth.forgot_password", "reset_per_account", by_mail_account, "Too many reset links were asked for this address.",
         exempt_when=no_address_typed),
    Rule("auth.forgot_password", "reset_per_address", by_address, "Too many reset links were asked from your network."),
    Rule("auth.reset_password", "new_password_per_address", by_address, "Too many new passwords from your network."),
    Rule("account.email", "email_changes", by_member, "You are changing your address too often.", exempt_when=visitor),
    Rule("threads.new", "threads", by_member, "You are starting threads too quickly.",
         new_accounts="threads_new_account", exempt_when=visitor_or_previewing),
    Rule("posts.reply", "replies", by_member, "You are replying too quickly.",
         new_accounts="replies_new_account", exempt_when=visitor_or_previewing),
    Rule("film_logs.log", "film_logs", by_member, "You are logging films too quickly.",
         new_accounts="film_logs_new_account", exempt_when=visitor),
    Rule("film_logs.edit", "edits", by_member, "You are editing too quickly.", exempt_when=visitor),
    Rule("posts.vote", "votes", by_member, "You are voting too quickly.", exempt_when=visitor),
    Rule("reports.report", "reports", by_member, "You have sent too many reports.", exempt_when=visitor),
    Rule("posts.edit", "edits", by_member, "You are editing too quickly.", exempt_when=visitor_or_previewing),
    *(Rule(endpoint, "previews", by_member, "You are previewing too quickly.", exempt_when=visitor_or_saving,
           scope="previews") for endpoint in ("threads.new", "posts.reply", "posts.edit", "members.bio")),
    *(Rule(endpoint, "choices", by_member, "You are changing follows, blocks and saved posts too quickly.",
           exempt_when=visitor) for endpoint in ("following.follow", "following.block", "following.bookmark")),
    *(Rule(endpoint, "profile_changes", by_member, "You are changing your display name and avatar too often.",
           exempt_when=visitor, scope="profile_changes")
      for endpoint in ("account.display_name", "account.avatar", "account.remove_avatar")),
    Rule("following.suggest_names", "name_suggestions", by_address, "Too many name look-ups from your network.",
         methods=("GET",)),
    # A file of everything a member wrote is costly and sensitive; deleting takes a password: both counted per member.
    *(Rule(endpoint, "data_exports", by_member, "You have downloaded member data too often.", exempt_when=visitor,
           scope="data_exports", methods=("GET",)) for endpoint in ("account.export", "admin.export_member")),
    *(Rule(endpoint, "account_deletions", by_member, "Too many attempts to delete an account.", exempt_when=visitor,
           scope="account_deletions") for endpoint in ("account.delete", "admin.delete_member")),
    Rule("account.end_other_sessions", "session_ends", by_member, "You are ending sessions too often.",
         exempt_when=visitor),
)


def init_app(app: Flask) -> None:
    """Bind the limiter and put each rule on its endpoint's view; call once the blueprints are registered."""
    check_limits(app.config["RATE_LIMITS"])
    limiter.init_app(app)
    for rule in RULES:
        # limiter.limit() returns a wrapper that does the counting; only the view Flask calls counts.
        options = dict(key_func=rule.key, methods=list(rule.methods), error_message=rule.error_message,
                       exempt_when=rule.exempt_when)
        limit = limiter.shared_limit(rule.limit_value, rule.scope, **options) if rule.scope else limiter.limit(
            rule.limit_value, **options
        )
        app.view_functions[rule.endpoint] = limit(app.view_functions[rule.endpoint])
    skip_check_before_every_request(app)


WIDE_LIMITS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")  # Flask-Limiter's own, for every route


def skip_check_before_every_request(app: Flask) -> None:
    """Flask-Limiter checks its default and application-wide limits before every request, then each limited view
    checks its own. The board has no limits but its views' (above): that first check finds nothing on every request
    (a tenth of a millisecond of a vote's few), so it is left out, unless such a limit is configured after all."""
    manager = limiter.limit_manager
    if any(app.config.get(name) for name in WIDE_LIMITS) or manager.default_limits or manager.application_limits:
        return
    checks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in checks:
        checks.remove(limiter._check_request_limit)


def configured_limit(name: str) -> str:
    return current_app.config["RATE_LIMITS"].get(name) or DEFAULT_LIMITS[name]


def check_limits(overrides: dict) -> None:
    """Refuse to start with an unknown or unreadable limit (Flask-Limiter would only log it and skip the limit)."""
    for name, value in overrides.items():
        if name not in DEFAULT_LIMITS:
            raise ValueError(f"RATE_LIMITS: unknown limit {name!r}; known: {', '.join(DEFAULT_LIMITS)}")
        try:
            parse_many(value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"RATE_LIMITS[{name!r}]: {value!r} is not a limit like '10 per hour': {error}") from None


def seconds_until_retry() -> int | None:
    """Seconds until the limit this request broke lets another request through; None if it broke none."""
    broken = limiter.current_limit
    if broken is None or not broken.breached:
        return None
    return max(1, int(broken.reset_at - time()))  # as Flask-Limiter computes Retry-After
