"""Configuration: defaults here, then instance/config.py, then BOARD_* environment variables."""
import copy
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from .files import private_directory

DEFAULTS = {
    "SECRET_KEY": None,
    "DATABASE_URL": None,  # None: SQLite at instance/board.db
    "REDIS_URL": None,  # redis://host:6379/0: rate limits and kept pages shared by every app server (None: one machine)
    "RATE_LIMITS": {},  # replaces limits of board/limits.py by name, e.g. {"votes": "30 per minute"}
    # The board's public address, e.g. "https://films.example": absolute links (feeds, link previews) use it, and a
    # request naming any other host is refused (400). Required behind a proxy. `make run` serves at SERVE_URL.
    "BASE_URL": None,
    "SERVE_URL": None,  # filled by `make run` (http://BOARD_HOST:BOARD_PORT): the BASE_URL when none is configured
    "HTTPS": False,  # True behind TLS: cookies get the Secure flag
    "TRUSTED_PROXIES": 0,  # reverse proxies in front of the board: client addresses come from X-Forwarded-For
    "DEMO": True,  # `make run` loads the demo board into an empty database; BOARD_DEMO=0 skips it
    "PAGE_CACHE_SECONDS": 60,  # pages for visitors who are not logged in live this long at most (0: no cache)
    "PAGE_CACHE_DIR": None,  # None: instance/cache (shared by the workers); with REDIS_URL the pages live in Redis
    "PAGE_CACHE_MAX_BYTES": 256 * 1024 * 1024,  # the page cache directory's size budget (the oldest files go first)
    "SEARCH_BUDGET_MS": 2_000,  # a search's statements are stopped after this long ("try fewer or other words")
    "THREADS_PER_PAGE": 30,
    "TOP_REPLIES_PER_PAGE": 50,  # a thread page holds this many top-level replies, with all their replies
    "NEW_REPLIES_POLL_SECONDS": 20,  # how often an open thread page asks whether new replies came in
    "PASSWORD_HASH_METHOD": None,
    # Outgoing mail (board/mail.py), delivered by `flask mail-worker` (make run starts it). No MAIL_SERVER: each
    # message is written to MAIL_OUTBOX_DIR (None: instance/outbox/) as an .eml file instead.
    "MAIL_SERVER": None,
    "MAIL_PORT": 587,
    "MAIL_USE_TLS": True,  # STARTTLS on MAIL_PORT (587, "submission"); or MAIL_USE_SSL with port 465
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": None,  # None: "Reelboard <noreply@BASE_URL's host>"
    "MAIL_TIMEOUT": 10,  # seconds the worker waits on the mail server before trying again later
    "MAIL_OUTBOX_DIR": None,  # None: Werkzeug's default (scrypt)
    # A post at its 100,000-character limit is ~0.1-1.2 MB as form data (each non-ASCII character is 6-12 bytes
    # percent-encoded): 4 MiB lets even one over the limit reach the form, which says so and keeps the text.
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    # A ping before a request uses a pooled connection: on PostgreSQL, the request's own BEGIN (board/database.py).
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "WTF_CSRF_TIME_LIMIT": None,  # a token lives as long as the session, so an open page never goes stale
    "WTF_CSRF_SSL_STRICT": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
}


def load(app, test_config: dict | None) -> None:
    """Fill app.config in order of precedence and derive the settings that depend on others."""
    app.config.from_mapping(copy.deepcopy(DEFAULTS))  # BOARD_RATE_LIMITS__votes=… fills this app's own dict
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("BOARD")
    else:
        app.config.from_mapping(test_config)
    database_url = app.config["DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'board.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(database_url)
    secure = bool(app.config["HTTPS"])
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    app.config["PREFERRED_URL_SCHEME"] = "https" if secure else "http"
    # Without Redis, the board's own database: every worker process of the machine counts one count.
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "reelboard-database://"
    app.config["BASE_URL"] = app.config["BASE_URL"] or app.config["SERVE_URL"]
    if app.config["BASE_URL"]:
        pin_host(app, app.config["BASE_URL"])
    app.config["MAIL_FROM"] = app.config["MAIL_FROM"] or f"Reelboard <noreply@{mail_domain(app.config['BASE_URL'])}>"
    app.config["MAIL_DEFAULT_SENDER"] = app.config["MAIL_FROM"]
    if app.config["MAIL_USE_SSL"]:
        app.config["MAIL_USE_TLS"] = False  # SSL from the first byte, or STARTTLS: never both (Flask-Mailman refuses)


def mail_domain(base_url: str | None) -> str:
    """The board's host name for its sender address; "localhost" for a board on an IP address or none."""
    host = urlsplit(base_url).hostname if base_url else None
    return host if host and not host.replace(".", "").isdigit() and ":" not in host else "localhost"


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def pin_host(app, base_url: str) -> None:
    """Absolute URLs name BASE_URL's host, and requests must name it too (Flask's SERVER_NAME and TRUSTED_HOSTS).

    A board on a loopback address answers to each of the machine's names for it (127.0.0.1, localhost).
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/") or parts.query:
        raise ValueError(f"BASE_URL must be like https://films.example or http://127.0.0.1:5000, not {base_url!r}")
    app.config["SERVER_NAME"] = parts.netloc
    app.config["PREFERRED_URL_SCHEME"] = parts.scheme
    app.config["TRUSTED_HOSTS"] = list(LOOPBACK_NAMES) if parts.hostname in LOOPBACK_NAMES else [parts.hostname]


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// and postgresql:// spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def write_instance_config(instance_path: str) -> Path | None:
    """Create instance/config.py with a random SECRET_KEY, readable by its owner only; None if it exists."""
    path = Path(instance_path) / "config.py"
    if path.exists():
        return None
    private_directory(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as config:
        config.write(
            "# Reelboard instance configuration (not in git). See README.md for every setting.\n"
            f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
        )
    return path
