"""Rendered pages kept for their next reader: shared by every worker, dropped by any write.

A film opens and thousands of readers ask for the same few pages. What visitors (not logged in) see does
not depend on who they are, so each page is rendered once for all of them. A member's page shows their
votes, their own posts' tools and their session's CSRF token, so a member's copy is kept for that member
(and that session) only: it answers their reloads, back-and-forth navigation and revalidations until the
next write. Pages live in Flask-Caching — a directory under instance/ shared by the worker processes of
one machine, or Redis when REDIS_URL is set (several app servers).

Invalidation is by generation: every page key carries the board's current generation, and any
committed write (an ORM flush, or an UPDATE/DELETE/INSERT statement through the session) replaces it
with a fresh random value right after COMMIT, so the next reader renders the page again. Pages also
expire after PAGE_CACHE_SECONDS so relative times ("5 minutes ago") and hot ranking move on.

Pages belong to the database they were rendered from. The database carries an identity (BoardIdentity: a random
token, new with every new database, migration and restore), and the cache records the identity its pages were
rendered under. A migration or a restore renews both and the generation at once; each process, as it starts,
compares the two and renews the generation if they differ — so a database file deleted and created again, or
replaced by hand, never meets pages of the old one. That check costs two statements as a process starts, none per
request. `flask setup` (run by `make run`) renews the generation too, for a database restored with the same identity
(pg_restore of a recent dump).

A cached page carries an ETag; a browser that sends it back gets a 304 without a body.
"""
import gzip
import hashlib
import secrets
from pathlib import Path

from flask import current_app, g, has_app_context, request, session
from flask_caching import Cache
from flask_login import COOKIE_NAME, current_user
from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.exc import SQLAlchemyError

from .database import READS_ONLY
from .extensions import db
from .files import private_directory
from .htmx import is_htmx
from .models import BoardIdentity

cache = Cache()
GENERATION_KEY = "generation"
DATABASE_KEY = "database"  # the identity (BoardIdentity.token) of the database the kept pages were rendered from
GENERATION_SECONDS = 86_400  # if it lapses, the next reader starts a new one: every page is rendered afresh
GZIP_LEVEL = 6
CACHE_ERRORS = (RedisError, OSError)
SHARED = "shared_page"  # attribute set on a view function by @shared_page


def shared_page(view):
    """Mark a GET view whose page depends only on its URL and on who is asking (visitor, or which member)."""
    setattr(view, SHARED, True)
    return view


def init_app(app) -> None:
    redis_url = app.config["REDIS_URL"]
    database_id = hashlib.sha256(app.config["SQLALCHEMY_DATABASE_URI"].encode()).hexdigest()[:12]
    app.config.setdefault("CACHE_KEY_PREFIX", f"reelboard:{database_id}:")  # one namespace per database
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", app.config["PAGE_CACHE_SECONDS"])
    if redis_url:
        app.config.setdefault("CACHE_TYPE", "RedisCache")
        app.config.setdefault("CACHE_REDIS_URL", redis_url)
        app.config.setdefault("CACHE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
    else:
        app.config.setdefault("CACHE_TYPE", "FileSystemCache")
        app.config.setdefault("CACHE_DIR", str(app.config["PAGE_CACHE_DIR"] or f"{app.instance_path}/cache"))
        app.config.setdefault("CACHE_THRESHOLD", 5_000)
        private_directory(app.config["CACHE_DIR"])  # members' pages are in it; cachelib writes each file 0600
    cache.init_app(app)
    with app.app_context():
        identity = database_identity()
        if identity is not None:
            follow_database(identity)
    app.before_request(serve_shared_page)
    app.after_request(keep_shared_page)


def serve_shared_page():
    """A GET for a kept page: the cached copy (or 304), else note the key to fill after rendering."""
    if not current_app.config["PAGE_CACHE_SECONDS"] or not is_shareable_request():
        return None
    reader = reader_key()
    if reader is None:
        return None
    try:
        key = page_key(reader)
        entry = None if request.cache_control.no_cache else cache.get(key)  # a hard reload: rendered afresh, then kept
    except CACHE_ERRORS as error:  # Redis down or the disk full: the page is rendered, as if there were no cache
        return unavailable(error)
    if entry is None:
        g.page_cache_key = key
        return None
    return cached_response(entry)


def is_shareable_request() -> bool:
    if request.method not in ("GET", "HEAD") or request.endpoint is None:
        return False
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, SHARED, False) and "_flashes" not in session  # a message to show: render the page


def reader_key() -> str | None:
    """Whose copy: every visitor's, one member's (in one session), or None to render without keeping."""
    if current_user.is_authenticated:  # loaded already: the ban check before every request asked
        token = session.get("csrf_token")  # the page's forms carry this session's token
        if token is None:
            return None
        return "member-" + hashlib.blake2b(f"{current_user.get_id()}:{token}".encode(), digest_size=12).hexdigest()
    if "_user_id" in session or current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies:
        return None  # a session that is being ended or is about to be restored from the remember-me cookie
    return "visitor"


def page_key(reader: str) -> str:
    """Everything a kept page depends on, in one place (each part has its test in test_page_cache):

    - the board's generation: renewed by every committed write (`invalidate`);
    - whose copy: every visitor's, or one member's in one session (`reader_key`);
    - the host it was asked for: feeds and link previews hold absolute URLs (one host when BASE_URL is set);
    - a whole page or an htmx fragment, as the view decides (`is_htmx`: a boosted navigation wants a whole page);
    - the path and query string.
    Not the encoding: each entry holds the page plain and gzipped, and each response takes the one it accepts.
    """
    kind = "fragment" if is_htmx() else "page"
    return f"page:{current_generation()}:{reader}:{kind}:{request.host}:{request.full_path}"


def current_generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, secrets.token_hex(8), timeout=GENERATION_SECONDS)  # first reader after a start or an eviction
        generation = cache.get(GENERATION_KEY)
    return generation


def invalidate() -> None:
    """Every shared page is stale: the next reader of each renders it again."""
    try:
        cache.set(GENERATION_KEY, secrets.token_hex(8), timeout=GENERATION_SECONDS)
    except CACHE_ERRORS as error:  # the write is committed; kept pages lapse within PAGE_CACHE_SECONDS
        unavailable(error)


def follow_database(identity: str, renew: bool = False) -> None:
    """Kept pages belong to the database `identity`: all stale if they were rendered from another (or if `renew`)."""
    try:
        if renew or cache.get(DATABASE_KEY) != identity:
            cache.set(DATABASE_KEY, identity, timeout=GENERATION_SECONDS)
            invalidate()
    except CACHE_ERRORS as error:
        unavailable(error)


def database_identity() -> str | None:
    """The identity of the board's database; None before it is created or migrated, or when it cannot be reached."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") and not Path(url.database).exists():
        return None  # not created yet (`flask setup` is about to): connecting would create an empty file
    try:
        with db.engine.connect().execution_options(**{READS_ONLY: True}) as connection:  # no write lock to read it
            if not inspect(connection).has_table(BoardIdentity.__tablename__):
                return None
            return BoardIdentity.of(connection)
    except SQLAlchemyError as error:
        current_app.logger.warning("could not read the database's identity (%s): kept pages were not checked", error)
        return None


def unavailable(error: Exception) -> None:
    current_app.logger.warning("page cache unavailable (%s: %s): rendering without it", type(error).__name__, error)


def cached_response(entry: dict):
    gzipped = accepts_gzip()
    response = current_app.response_class(entry["gzip"] if gzipped else entry["body"], mimetype=entry["mimetype"])
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    finish(response, entry["etag"], gzipped)
    g.page_cache_hit = True
    return response.make_conditional(request)


def keep_shared_page(response):
    """After rendering a kept page: keep it (once, compressed too) and send it revalidatable."""
    key = g.pop("page_cache_key", None)
    if key is None or g.get("page_cache_hit") or response.status_code != 200 or response.direct_passthrough:
        return response
    body = response.get_data()
    entry = {
        "body": body,
        "gzip": gzip.compress(body, GZIP_LEVEL, mtime=0),
        "etag": hashlib.blake2b(body, digest_size=12).hexdigest(),
        "mimetype": response.mimetype,
    }
    try:
        cache.set(key, entry)
    except CACHE_ERRORS as error:
        unavailable(error)
    if accepts_gzip():
        response.set_data(entry["gzip"])
        response.headers["Content-Encoding"] = "gzip"
    finish(response, entry["etag"], "Content-Encoding" in response.headers)
    return response.make_conditional(request)


def accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0  # "gzip;q=0" is a no


def finish(response, etag: str, gzipped: bool) -> None:
    response.set_etag(f"{etag}-gzip" if gzipped else etag)  # two representations, two tags
    response.cache_control.no_cache = True  # the browser keeps it but asks each time: a 304 when unchanged
    # (A member's page is sent no-store instead, by security.keep_private_pages_out_of_caches.)
    response.vary.add("Accept-Encoding")
    response.vary.add("Cookie")


# Generations: any write committed through the session makes every shared page stale.


def _note_flush(session, _context) -> None:
    if session.new or session.dirty or session.deleted:
        session.info["wrote"] = True


def _note_statement(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        state.session.info["wrote"] = True


def _after_commit(session) -> None:
    if session.info.pop("wrote", False) and has_app_context() and "cache" in current_app.extensions:
        invalidate()


event.listen(db.session, "after_flush", _note_flush)
event.listen(db.session, "do_orm_execute", _note_statement)
event.listen(db.session, "after_commit", _after_commit)
